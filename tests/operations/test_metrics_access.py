"""/metrics on a web worker and the Celery exporter answer the allow-list or the token, nobody else."""

import urllib.error
import urllib.request

import pytest
from django.test import Client

from operations import monitoring
from tests.live_server import free_port

OUTSIDER = "203.0.113.9"


@pytest.fixture
def client() -> Client:
    return Client()


def test_a_local_scraper_gets_the_metrics(client, db):
    # when: Prometheus on the same machine scrapes the worker directly
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    # then: our metrics and django-prometheus's are there, in the text format
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for name in (
        "parley_open_sockets",
        "parley_message_sends_total",
        "parley_ack_latency_seconds_bucket",
        "django_http_requests_total_by_method_total",
        "parley_queue_messages",
        "parley_broker_up",
    ):
        assert name in text, name


def test_an_outsider_is_refused(client, db):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER)

    assert response.status_code == 403
    assert b"parley_" not in response.content


def test_a_forwarded_request_needs_the_token_even_from_an_allowed_address(client, db):
    # given: a request that came through the proxy, claiming to be local
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403


def test_the_token_lets_a_remote_scraper_in(client, db, settings):
    settings.METRICS_TOKEN = "scrape-me-9f2c"

    allowed = client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer scrape-me-9f2c")
    wrong = client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer scrape-me-9f2d")
    forwarded = client.get(
        "/metrics",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=OUTSIDER,
        HTTP_AUTHORIZATION="Bearer scrape-me-9f2c",
    )

    assert allowed.status_code == 200
    assert wrong.status_code == 403
    assert forwarded.status_code == 200


def test_networks_can_be_allowed(client, db, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def _get(url: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  (a local http URL)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_the_celery_exporter_is_guarded_the_same_way(settings):
    # given: a worker's exporter, in this process (no PROMETHEUS_MULTIPROC_DIR)
    settings.METRICS_TOKEN = "worker-token-41"
    port = free_port()
    server = monitoring.start_celery_exporter(address="127.0.0.1", port=port, environ={})
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        # when / then
        status, text = _get(url, {})
        assert status == 200
        assert "parley_persistence_lag_seconds_bucket" in text
        assert _get(url, {"X-Forwarded-For": OUTSIDER})[0] == 403
        assert _get(url, {"X-Forwarded-For": OUTSIDER, "Authorization": "Bearer worker-token-41"})[0] == 200
        settings.METRICS_ALLOWED_IPS = []
        assert _get(url, {})[0] == 403
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("pool_forks", "warned"), [(True, True), (False, False)])
def test_a_worker_without_a_shared_metrics_folder_is_warned_only_if_its_pool_forks(
    caplog, pool_forks, warned
):
    # given a worker started without PROMETHEUS_MULTIPROC_DIR: prefork (its tasks' values would be lost) or a
    # one-process pool such as the persistence worker's threads (nothing is lost)
    with caplog.at_level("WARNING", logger=monitoring.__name__):
        server = monitoring.start_celery_exporter(
            address="127.0.0.1", port=free_port(), pool_forks=pool_forks, environ={}
        )
    server.shutdown()
    server.server_close()
    # then the operator reads a warning only where values would be missing
    assert any("PROMETHEUS_MULTIPROC_DIR" in r.getMessage() for r in caplog.records) is warned
