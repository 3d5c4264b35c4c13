import socket
import threading
import time

import pytest
from django.db import connection

from operations import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_runs(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reaches_database_redis_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok"}


def test_readyz_names_the_broker_when_it_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["broker"]}


def test_readyz_names_redis_when_it_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]


@pytest.fixture
def unanswering_database(monkeypatch):
    """The database, as reached through a listener that accepts connections and never answers them."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel accepts into the backlog; nobody reads
        unanswering = connection.copy()
        unanswering.settings_dict.update(HOST="127.0.0.1", PORT=str(listener.getsockname()[1]))
        unanswering.inc_thread_sharing()  # the request below runs in a thread of its own
        monkeypatch.setattr(health, "connection", unanswering)
        yield
    # closing the listener resets what it took in: a check still waiting on it ends


def test_readyz_names_an_unanswering_database_within_the_probes_timeout(client, unanswering_database):
    # it waited for the pool's 10 s (or for ever, unpooled): k8s's readinessProbe gives up after 4 s, unnamed
    answers = []
    request = threading.Thread(target=lambda: answers.append(client.get("/readyz")), daemon=True)
    started = time.monotonic()
    request.start()
    request.join(timeout=health.CHECK_TIMEOUT_SECONDS + 2)
    assert answers, "no answer yet"
    assert time.monotonic() - started < 4
    assert answers[0].status_code == 503
    assert answers[0].json() == {"status": "unavailable", "failed": ["database"]}
