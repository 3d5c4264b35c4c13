"""Operators' view of a running stack (docs/operations.md): the metrics of every web worker and of the two
Celery workers (persistence's and the rest's) move when a message is sent, acked, stored and pushed; the JSON
log lines of one send share its trace across processes; /metrics refuses outsiders.

This module runs its own stack (ports 8380-8390, its own database, Redis db and RabbitMQ vhost), so it
never disturbs the shared stack fixture of tests/stack/conftest.py."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets
from prometheus_client.parser import text_string_to_metric_families

from tests import slot
from tests.conftest import wait_until
from tests.notifications.fake_push import Browser, FakePushService
from tests.stack.conftest import own_vhost, stack_command

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "stack-metrics-token-5b1d"
STACK_ENV = {
    "STACK_DIR": f"/tmp/parley-stack-metrics{slot.SLOT or ''}",  # noqa: S108  (this stack's run folder)
    "STACK_PORT": str(slot.port(8380)),
    "STACK_WORKER_BASE_PORT": str(slot.port(8381)),
    "STACK_MOTO_PORT": str(slot.port(8390)),
    "STACK_CELERY_METRICS_PORT": str(slot.port(8389)),
    "STACK_PERSISTENCE_METRICS_PORT": str(slot.port(8388)),
    "STACK_CELERY_CONCURRENCY": "4",  # the other Celery worker's pool processes (CELERY_POOL below)
    "WORKERS": "2",
    "DATABASE_URL": f"postgres://root@127.0.0.1:5432/{slot.name('parley_stack_metrics')}",
    "REDIS_URL": slot.redis_url(9),
    "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{slot.name('parley_metrics')}",
    "METRICS_TOKEN": TOKEN,
    "JWT_ACCESS_MINUTES": "60",
    "THROTTLE_AUTH_IP": "100000/min",
    "THROTTLE_AUTH_USERNAME": "100000/min",
    # Pushes go to this test's fake push service on 127.0.0.1, at once.
    "PUSH_ALLOW_HTTP_ENDPOINTS": "true",
    "PUSH_ENDPOINT_HOST_SUFFIXES": "127.0.0.1",
    "PUSH_DELAY_SECONDS": "0",
    "PUSH_REQUEST_TIMEOUT_SECONDS": "30",  # a push held by a stalled service stays held while a test looks
}
NGINX = f"http://127.0.0.1:{STACK_ENV['STACK_PORT']}"
WORKERS = [f"http://127.0.0.1:{slot.port(8381 + i)}" for i in range(2)]
CELERY_EXPORTER = f"http://127.0.0.1:{STACK_ENV['STACK_CELERY_METRICS_PORT']}/metrics"
PERSISTENCE_EXPORTER = f"http://127.0.0.1:{STACK_ENV['STACK_PERSISTENCE_METRICS_PORT']}/metrics"
LOGS = Path(STACK_ENV["STACK_DIR"]) / "logs"
CELERY_POOL = int(STACK_ENV["STACK_CELERY_CONCURRENCY"])
BODY = "stack metrics: the body never reaches a log"


@dataclass
class Member:
    id: int
    token: str


@dataclass
class Scene:
    """Two members of one conversation; bob is offline with a push subscription."""

    http: requests.Session
    ada: Member
    bob: Member
    conversation: int
    push: FakePushService
    bob_browser: Browser


def _register(http: requests.Session) -> Member:
    username, password = f"m{uuid.uuid4().hex[:12]}", "stack-metrics-password-42"
    created = http.post(
        f"{NGINX}/api/v1/auth/register/",
        json={"username": username, "email": f"{username}@example.com", "password": password},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    token = http.post(
        f"{NGINX}/api/v1/auth/token/", json={"username": username, "password": password}, timeout=10
    )
    return Member(created.json()["id"], token.json()["access"])


@pytest.fixture(scope="module")
def scene() -> Iterator[Scene]:
    with own_vhost(slot.name("parley_metrics")):
        stack_command("down", env=STACK_ENV)
        stack_command("up", env=STACK_ENV)
        push = FakePushService().start()
        try:
            with requests.Session() as http:
                ada, bob = _register(http), _register(http)
                answer = http.post(
                    f"{NGINX}/api/v1/conversations/",
                    headers={"Authorization": f"Bearer {ada.token}"},
                    json={"kind": "group", "title": "metrics", "members": [bob.id]},
                    timeout=10,
                )
                assert answer.status_code == 201, answer.text
                vapid_key = http.get(f"{NGINX}/api/v1/push/key/", timeout=10).json()["public_key"]
                browser = push.subscribe(vapid_key)
                subscribed = http.post(
                    f"{NGINX}/api/v1/push/subscriptions/",
                    headers={"Authorization": f"Bearer {bob.token}"},
                    json=browser.subscription_json(),
                    timeout=10,
                )
                assert subscribed.status_code in (200, 201), subscribed.text
                yield Scene(http, ada, bob, answer.json()["id"], push, browser)
        finally:
            push.stop()
            stack_command("down", env=STACK_ENV)


# --- Scraping

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str, **headers: str) -> Samples:
    response = requests.get(url, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def web_total(name: str, **labels: str) -> float:
    """Summed over every web worker, each scraped directly (through nginx one would hit a random one)."""
    key = (name, tuple(sorted(labels.items())))
    return sum(scrape(f"{worker}/metrics").get(key, 0.0) for worker in WORKERS)


def exported_value(exporter: str, name: str, **labels: str) -> float:
    return scrape(exporter).get((name, tuple(sorted(labels.items()))), 0.0)


async def next_frame(socket: Any, kind: str) -> dict[str, Any]:
    """The socket's next frame of this type (an error frame fails the test)."""
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert frame["type"] != "error", frame
        if frame["type"] == kind:
            return frame


async def send_one(scene: Scene, worker: int) -> dict[str, Any]:
    """ada sends one message through a socket on the given web worker, as the web app does (sync first);
    returns the acked message once its echo has come back too."""
    port = int(STACK_ENV["STACK_WORKER_BASE_PORT"]) + worker - 1
    url = f"ws://127.0.0.1:{port}/ws/?v=2&token={scene.ada.token}"
    client_id = str(uuid.uuid4())
    async with websockets.connect(url, origin="http://127.0.0.1", open_timeout=10) as socket:  # type: ignore[arg-type]
        await socket.send(json.dumps({"type": "sync", "since": {}}))
        await next_frame(socket, "sync.done")
        frame = {
            "type": "message.send",
            "conversation": scene.conversation,
            "body": BODY,
            "client_id": client_id,
        }
        await socket.send(json.dumps(frame))
        ack = await next_frame(socket, "message.ack")
        echo = await next_frame(socket, "message.new")
        assert echo["message"]["id"] == ack["message"]["id"]
        return ack["message"]


# --- Tests


WEB = {
    "sent": ("parley_message_sends_total", {"outcome": "new"}),
    "acked": ("parley_message_acks_total", {"outcome": "new"}),
    "ack_latency": ("parley_ack_latency_seconds_count", {}),
    "fanout_latency": ("parley_fanout_latency_seconds_count", {}),
}
CELERY = {  # figure: (exporter, metric, labels)
    "stored": (PERSISTENCE_EXPORTER, "parley_messages_stored_total", {}),
    "lag": (PERSISTENCE_EXPORTER, "parley_persistence_lag_seconds_count", {}),
    "batches": (PERSISTENCE_EXPORTER, "parley_persistence_batch_size_count", {}),
    "pushed": (CELERY_EXPORTER, "parley_push_deliveries_total", {"outcome": "sent"}),
}


def web_figures() -> dict[str, float]:
    return {key: web_total(name, **labels) for key, (name, labels) in WEB.items()}


def celery_figures() -> dict[str, float]:
    return {key: exported_value(exporter, name, **labels) for key, (exporter, name, labels) in CELERY.items()}


def test_metrics_move_when_a_message_is_sent_acked_stored_and_pushed(scene):
    # given
    web_before, celery_before = web_figures(), celery_figures()
    pushes_before = len(scene.push.received(scene.bob_browser))

    # when: ada sends one message on worker 2; bob is offline, so he is pushed once it is stored
    message = asyncio.run(send_one(scene, worker=2))

    # then: the web workers counted the send, its ack and its fan-out at once
    web_delta = {key: value - web_before[key] for key, value in web_figures().items()}
    assert web_delta == {"sent": 1, "acked": 1, "ack_latency": 1, "fanout_latency": 1}  # the echo to ada
    # and the Celery workers its storage and push, as they happen
    wait_until(lambda: len(scene.push.received(scene.bob_browser)) > pushes_before, "bob's push")
    wait_until(lambda: celery_figures()["pushed"] > celery_before["pushed"], "the exporter to count the push")
    celery_delta = {key: value - celery_before[key] for key, value in celery_figures().items()}
    assert celery_delta == {"stored": 1, "lag": 1, "batches": 1, "pushed": 1}
    assert scene.push.received(scene.bob_browser)[-1]  # what bob's browser shows
    assert message["id"]


def test_every_worker_reports_queue_depths_and_its_sockets(scene):
    for worker in WORKERS:
        samples = scrape(f"{worker}/metrics")
        for queue in ("persistence", "push", "persistence.dead"):
            assert (("parley_queue_messages", (("queue", queue),))) in samples, (worker, queue)
        assert samples[("parley_broker_up", ())] == 1
        assert ("parley_open_sockets", ()) in samples
        assert ("parley_presence_keys", ()) in samples
        assert any(name == "django_http_requests_total_by_method_total" for name, _ in samples)


def _log_lines(name: str) -> list[dict[str, Any]]:
    lines = []
    for path in LOGS.glob(f"{name}*.log"):
        for raw in path.read_text().splitlines():
            if raw.startswith("{"):
                lines.append(json.loads(raw))
    return lines


def test_the_log_lines_of_one_send_share_its_trace_across_processes(scene):
    # when
    message = asyncio.run(send_one(scene, worker=1))

    # then: the socket worker logged the message's batch with the send's trace and its socket
    def queued_line() -> dict[str, Any] | None:
        lines = _log_lines("web-1")
        return next(
            (
                line
                for line in lines
                if line["message"] == "persistence batch queued" and message["id"] in line["message_ids"]
            ),
            None,
        )

    wait_until(lambda: queued_line() is not None, "the queued line")
    queued = queued_line()
    assert queued is not None
    index = queued["message_ids"].index(message["id"])
    trace = queued["traces"][index]
    assert queued["connection_ids"][index]

    def found(logs: str, text: str, *, single: bool) -> bool:
        return any(
            line["message"] == text
            and (line.get("trace") == trace if single else trace in line.get("traces", []))
            for line in _log_lines(logs)
        )

    # and the same trace is on the persistence task (in the persistence worker) and the push tasks (in the
    # other Celery worker)
    wait_until(lambda: found("persistence", "persistence batch stored", single=False), "the stored line")
    wait_until(
        lambda: found("celery", "push decided", single=False), "the push-decided line"
    )  # one per batch
    wait_until(lambda: found("celery", "push attempted", single=True), "the push-attempted line")
    # no log of any process holds the body
    for path in LOGS.glob("*.log"):
        assert BODY not in path.read_text(), path


async def open_and_close_socket(url: str) -> None:
    async with websockets.connect(url, origin="http://127.0.0.1", open_timeout=10) as socket:  # type: ignore[arg-type]
        await socket.send(json.dumps({"type": "ping"}))
        await next_frame(socket, "pong")


def test_no_log_keeps_a_sockets_token(scene):
    # when ada opens a socket through nginx and one straight to a web worker, with her token in the URL
    token = scene.ada.token
    asyncio.run(open_and_close_socket(f"ws://127.0.0.1:{STACK_ENV['STACK_PORT']}/ws/?v=2&token={token}"))
    worker_port = STACK_ENV["STACK_WORKER_BASE_PORT"]
    asyncio.run(open_and_close_socket(f"ws://127.0.0.1:{worker_port}/ws/?v=2&token={token}"))

    # then nginx and the worker logged both handshakes, by path, and no log of any process holds the token
    access_log = LOGS / "nginx-access.log"
    wait_until(lambda: '"GET /ws/ HTTP/1.1" 101' in access_log.read_text(), "nginx's line for the socket")
    assert any(
        '"WebSocket /ws/" [accepted]' in line for line in (LOGS / "web-1.log").read_text().splitlines()
    )
    for path in LOGS.glob("*.log"):
        assert token not in path.read_text(), path


def test_metrics_refuse_an_outsider(scene):
    # through nginx (a forwarded request) without the token: refused, and nothing leaks
    refused = requests.get(f"{NGINX}/metrics", timeout=10)
    assert refused.status_code == 403
    assert "parley_" not in refused.text
    # a client claiming a local address in a header is not local
    assert (
        requests.get(
            f"{WORKERS[0]}/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, timeout=10
        ).status_code
        == 403
    )
    assert (
        requests.get(
            f"{WORKERS[0]}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10
        ).status_code
        == 200
    )
    wrong = requests.get(f"{NGINX}/metrics", headers={"Authorization": "Bearer not-the-token"}, timeout=10)
    assert wrong.status_code == 403
    # the token opens it from anywhere
    assert scrape(f"{NGINX}/metrics", Authorization=f"Bearer {TOKEN}")
    # the Celery worker's exporter is guarded the same way
    assert (
        requests.get(CELERY_EXPORTER, headers={"X-Forwarded-For": "198.51.100.7"}, timeout=10).status_code
        == 403
    )


def test_a_push_service_that_stops_answering_holds_up_no_message_being_stored(scene):
    # given: bob's push service stops answering, and ada's messages leave a push to bob hanging in each of
    # the Celery worker's pool processes
    stored_before, attempts_before = celery_figures()["stored"], len(scene.push.pushes)
    with scene.push.stalled():
        for _ in range(CELERY_POOL):
            asyncio.run(send_one(scene, worker=1))
        assert scene.push.wait_for_held(CELERY_POOL, timeout=15), "a push hanging in every pool process"

        # when ada sends one more message
        asyncio.run(send_one(scene, worker=2))

        # then it is stored while those pushes still hang: storage has a worker of its own, and history and
        # search show the message at once
        wait_until(
            lambda: celery_figures()["stored"] >= stored_before + CELERY_POOL + 1,
            "every message to be stored",
            timeout=5,
        )
        assert scene.push.held == CELERY_POOL
    # and once the push service answers again, bob gets every push
    assert scene.push.wait_for_attempts(attempts_before + CELERY_POOL + 1, timeout=15)
