"""The standard error body (docs/api.md) and the texts of the refusals made outside any view, with no Django
import: a web server answers some requests itself, before Django is set up (realtime.unreadable_requests),
and it answers them in the very bytes core.errors does."""

import json
from typing import Any

UNREADABLE_REQUEST = "The request could not be read."
SERVER_ERROR = "Something went wrong on our side."


def error_body(code: str, detail: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "detail": detail, "fields": fields or {}}}


def error_bytes(code: str, detail: str) -> bytes:
    """The body rendered as DRF renders its own: compact, UTF-8 as is."""
    return json.dumps(error_body(code, detail), separators=(",", ":"), ensure_ascii=False).encode()
