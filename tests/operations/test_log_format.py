"""One JSON object per line, with the bound context, and never a secret or a message body."""

import json
import logging

from django.test import RequestFactory

from core import logcontext


def formatted(record: logging.LogRecord) -> dict:
    logcontext.ContextFilter().filter(record)
    line = logcontext.JsonFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


def record(message: str, **extra) -> logging.LogRecord:
    made = logging.LogRecord("messaging.consumers", logging.INFO, __file__, 1, message, (), None)
    made.__dict__.update(extra)
    return made


def test_a_line_has_the_context_it_was_logged_in():
    with logcontext.bound(connection_id="c0ffee", trace="7ace"):
        line = formatted(record("message acked", message_id="m1"))

    assert line["message"] == "message acked"
    assert line["level"] == "INFO"
    assert line["logger"] == "messaging.consumers"
    assert (line["connection_id"], line["trace"], line["message_id"]) == ("c0ffee", "7ace", "m1")
    assert line["time"].endswith("+00:00")
    assert isinstance(line["pid"], int)


def test_the_context_ends_with_its_block():
    with logcontext.bound(trace="7ace"):
        pass

    assert "trace" not in formatted(record("later"))


def test_secrets_bodies_and_task_arguments_are_left_out():
    request = RequestFactory().get("/api/v1/things/?token=abc.def.ghi")

    line = formatted(
        record(
            "something happened",
            body="hello **team**",
            email="ada@example.com",
            token="abc.def.ghi",
            password="hunter22",
            request=request,
            data={
                "id": "task-1",
                "name": "messaging.persist_messages",
                "args": "[{'body': 'hi'}]",
                "kwargs": "{}",
            },
        )
    )

    text = json.dumps(line)
    for secret in ("hello **team**", "ada@example.com", "abc.def.ghi", "hunter22", "'body'"):
        assert secret not in text
    assert line["request"] == "GET /api/v1/things/"
    assert line["data"] == {"id": "task-1", "name": "messaging.persist_messages"}


def test_a_sockets_handshake_is_logged_without_its_token(caplog):
    # uvicorn logs each socket's handshake itself, with the URL's query string (where the token is)
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        logging.getLogger("uvicorn.error").info(
            '%s - "WebSocket %s" [accepted]', "127.0.0.1:5555", "/ws/?v=2&token=abc.def.ghi"
        )
        logging.getLogger("uvicorn.error").info(
            '%s - "WebSocket %s" %d', "127.0.0.1:5556", "/ws/?token=x", 403
        )

    assert caplog.messages == [
        '127.0.0.1:5555 - "WebSocket /ws/" [accepted]',
        '127.0.0.1:5556 - "WebSocket /ws/" 403',
    ]


def test_every_response_names_its_request_id(client, db):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="req-42")
    made = client.get("/healthz")
    refused = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")

    assert given["X-Request-ID"] == "req-42"
    assert len(made["X-Request-ID"]) == 16
    assert refused["X-Request-ID"] != "bad id with spaces"


def test_djangos_line_for_a_refused_request_names_its_request_id(client, db, caplog):
    # Django logs a 4xx response (django.request) after RequestIdMiddleware has returned
    with caplog.at_level(logging.WARNING, logger="django.request"):
        first = client.get("/api/v1/users/me/", HTTP_X_REQUEST_ID="req-401")
        second = client.get("/api/v1/users/me/")

    lines = [formatted(r) for r in caplog.records if r.name == "django.request"]
    assert (first.status_code, second.status_code) == (401, 401)
    assert [line["request_id"] for line in lines] == ["req-401", second["X-Request-ID"]]
