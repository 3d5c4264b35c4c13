"""Structured logs (docs/operations.md, "Logs"): one JSON object per line, each carrying the context of
whatever it belongs to — a request (`request_id`), a socket (`connection_id`, `user_id`), a Celery task
(`task`, `task_id`) and, for one message send, its `trace` id from the socket frame to the push.

The context lives in a contextvar, so it follows asyncio tasks and sync_to_async threads. Across processes
it travels in Celery message headers: `parley_trace` for a task about one send, `parley_traces`
({message id: trace}) for a persistence batch of many."""

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType
from typing import Any

from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.orjson import OrjsonFormatter

from core.middleware import SyncAndAsyncMiddleware

TRACE_HEADER = "parley_trace"
TRACES_HEADER = "parley_traces"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_REQUEST_ID_ATTRIBUTE = "parley_request_id"  # where RequestIdMiddleware keeps it on the HttpRequest
# Never written to a log line, whoever passes them as `extra`.
SECRET_FIELDS = frozenset(
    {"body", "text", "token", "password", "email", "authorization", "access", "refresh"}
)

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: ContextVar[Mapping[str, Any]] = ContextVar("parley_log_context", default=_EMPTY)


def new_id() -> str:
    """16 hex digits, made once per message sent: os.urandom's, without a UUID around them (0.5 against
    2.2 µs)."""
    return os.urandom(8).hex()


def bind(**values: Any) -> Token[Mapping[str, Any]]:
    """Add fields to the current context (None values are left out); undo with `unbind(token)`."""
    fresh = {key: value for key, value in values.items() if value is not None}
    return _context.set(MappingProxyType({**_context.get(), **fresh}))


def unbind(token: Token[Mapping[str, Any]]) -> None:
    _context.reset(token)


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    token = bind(**values)
    try:
        yield
    finally:
        unbind(token)


def get(key: str) -> Any:
    return _context.get().get(key)


def current() -> Mapping[str, Any]:
    return _context.get()


def trace_for(message_id: str) -> str | None:
    """The trace of one message of the persistence batch being stored, else the current trace."""
    traces = _context.get().get("traces") or {}
    return traces.get(message_id) or _context.get().get("trace")


# --- logging


class ContextFilter(logging.Filter):
    """Copy the current context onto every record (an explicit `extra` of the same name wins). A record about
    a request (`extra={"request": …}`) gets its `request_id` from it: Django logs a 4xx or 5xx response
    (`django.request`) once RequestIdMiddleware has returned, outside the request's context."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if key != "traces" and not hasattr(record, key):
                setattr(record, key, value)
        if not hasattr(record, "request_id"):
            request_id = getattr(getattr(record, "request", None), _REQUEST_ID_ATTRIBUTE, None)
            if request_id is not None:
                record.request_id = request_id
        return True


class JsonFormatter(OrjsonFormatter):
    """`{"time", "level", "logger", "message", "pid", …context, …extra}` with secrets and bodies left out.
    Written by orjson: a socket worker logs a line per acknowledged send."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "{levelname}{name}{message}{process}")
        kwargs.setdefault("style", "{")
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger", "process": "pid"})
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        for key in SECRET_FIELDS & log_data.keys():
            del log_data[key]
        request = log_data.get("request")
        if isinstance(request, HttpRequest):  # its repr has the query string: keep method and path only
            log_data["request"] = f"{request.method} {request.path}"
        data = log_data.get("data")
        if isinstance(data, dict):  # Celery's task logs: the arguments may be message payloads
            log_data["data"] = {k: v for k, v in data.items() if k not in ("args", "kwargs")}
        return log_data


class SocketPathOnly(logging.Filter):
    """uvicorn logs each socket's handshake ('<client> - "WebSocket <path>" [accepted]', or its status) with
    the URL's query string, which carries the socket's token (docs/protocol.md): its lines keep the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 2 and str(record.msg).startswith('%s - "WebSocket %s"'):
            record.args = (args[0], str(args[1]).partition("?")[0], *args[2:])
        return True


# --- HTTP requests


class RequestIdMiddleware(SyncAndAsyncMiddleware):
    """Give each request an id (the caller's X-Request-ID if it looks like one), bound as `request_id` and
    as the `trace` of anything the request sends, and returned in the response's X-Request-ID."""

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id(request)
        setattr(request, _REQUEST_ID_ATTRIBUTE, request_id)  # for lines logged after this returns
        with bound(request_id=request_id, trace=request_id):
            response: HttpResponse = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response

    async def ahandle(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id(request)
        setattr(request, _REQUEST_ID_ATTRIBUTE, request_id)
        with bound(request_id=request_id, trace=request_id):
            response: HttpResponse = await self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _request_id(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.match(given) else new_id()


# --- Celery: carry the trace in task headers, restore it around each task run

_task_tokens: dict[str, Token[Mapping[str, Any]]] = {}


def add_to_task_headers(headers: dict[str, Any]) -> None:
    """before_task_publish: a task published while handling a send carries that send's trace."""
    trace = get("trace")
    if trace and TRACE_HEADER not in headers:
        headers[TRACE_HEADER] = trace


def task_started(task_id: str, task: Any) -> None:
    request = task.request
    headers = request.get("headers") or {}  # eager runs keep them apart; a worker spreads them on request

    def header(name: str) -> Any:
        return request.get(name) or headers.get(name)

    _task_tokens[task_id] = bind(
        task=task.name, task_id=task_id, trace=header(TRACE_HEADER), traces=header(TRACES_HEADER)
    )


def task_finished(task_id: str) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            unbind(token)
        except ValueError:  # set in another context (a task run by a different thread): nothing to undo
            pass
