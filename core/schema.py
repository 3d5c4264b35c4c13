"""OpenAPI post-processing: every operation documents the error answers it can give, in the one error shape
of core.errors, so integrators see 400/401/403/404/413/415/429 without each view repeating them."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse

from core.pagination import PageNumberPagination

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error of the API has this shape.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Stable, machine-readable: `invalid`, `not_found`, …",
                },
                "detail": {"type": "string", "description": "Human-readable."},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "For `invalid`: the message(s) of each invalid field.",
                },
            },
            "required": ["code", "detail", "fields"],
        }
    },
    "required": ["error"],
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERRORS: dict[str, tuple[str, str, str]] = {
    # status: (description, example code, example detail)
    "400": ("The request is invalid: see `error.fields`", "invalid", "This field is required."),
    "401": (
        "Missing, invalid or expired credentials",
        "not_authenticated",
        "Authentication credentials were not provided.",
    ),
    "403": (
        "Not allowed (or the account is suspended: code `account_suspended`)",
        "permission_denied",
        "You do not have permission to perform this action.",
    ),
    "404": ("No such object, or not one you may see", "not_found", "Not found."),  # detail: _not_found_detail
    "413": (
        "The body is past 2.5 MiB (DATA_UPLOAD_MAX_MEMORY_SIZE): refused unread",
        "too_large",
        "The request body is too large to be read.",
    ),
    "415": (
        "The body is not `application/json` (a form post, for one)",
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
    ),
    "429": (
        "Rate limited: retry after `Retry-After` seconds",
        "throttled",
        "Too many requests: try again in 30 seconds.",
    ),
}
# The answers a send gives besides the ones every operation documents (`add_error_responses`): a view that
# sends a message declares them in its extend_schema (`responses={202: …, **SEND_ERRORS}`).
SEND_ERRORS: dict[int, OpenApiResponse] = {
    409: OpenApiResponse(
        ERROR_REF,
        description="`conflict`: a send with this `client_id` (or `Idempotency-Key`) is still in flight; "
        "retry it shortly, with the same key, for the message it posts",
    ),
    503: OpenApiResponse(
        ERROR_REF,
        description="`unavailable`: the message could not be made durable; retry with the same `client_id` "
        "(or `Idempotency-Key`)",
    ),
}


def refused(description: str) -> dict[int, OpenApiResponse]:
    """The 400 of an operation with no body or query to be invalid, refused for the state of things: a view
    declares it in its extend_schema (`responses={204: …, **refused("`invalid`: …")}`)."""
    return {400: OpenApiResponse(ERROR_REF, description=description)}


CREDENTIAL_PATHS = ("/api/v1/auth/token/", "/api/v1/auth/logout/")
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}
}


# What a 404 says, by the collection its path's first id is in: that object is looked up first (before any
# other in the path, and before the body), so an id that is not there, or not one you may see, is answered in
# these words (the selectors' own; tests/test_api_docs.py asks every operation and compares). Files and push
# subscriptions answer DRF's "Not found."; a list's page past the last core.pagination's "No such page.".
NOT_FOUND_BY_COLLECTION = {
    "/api/v1/blocks/": "You have not blocked this person.",
    "/api/v1/bots/": "No such bot.",
    "/api/v1/conversations/": "No such conversation.",
    "/api/v1/hooks/": "No such webhook.",
    "/api/v1/invitations/": "No such invitation.",
    "/api/v1/messages/": "No such message.",
    "/api/v1/previews/": "No such preview image.",
    "/api/v1/sessions/": "No such session.",
    "/api/v1/tokens/": "No such token.",
    "/api/v1/users/": "No such picture.",
    "/api/v1/webhooks/": "No such webhook.",
}
NO_SUCH_PAGE = str(PageNumberPagination.invalid_page_message)


def _not_found_detail(path: str) -> str:
    if "{" not in path:
        return NO_SUCH_PAGE
    return NOT_FOUND_BY_COLLECTION.get(path[: path.index("{")], ERRORS["404"][2])


def _error_example(status: str, path: str) -> dict[str, Any]:
    _, code, detail = ERRORS[status]
    if status == "404":
        detail = _not_found_detail(path)
    example = {"error": {"code": code, "detail": detail, "fields": {}}}
    if status == "400":
        example["error"]["fields"] = {"body": ["This field is required."]}
    return example


def _error_response(status: str, path: str) -> dict[str, Any]:
    description = ERRORS[status][0]
    example = _error_example(status, path)
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ERROR_REF, "example": example}},
    }
    if status == "429":
        response["headers"] = RETRY_AFTER
    return response


def _statuses_for(path: str, method: str, operation: dict[str, Any], global_security: list[Any]) -> list[str]:
    statuses = ["429"]
    # A 400 is an invalid body or query. An operation with neither that answers 400 for the state of things
    # (a pin past the limit, a file not uploaded yet) declares it in its view, saying when (`refused`).
    if "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", [])):
        statuses.append("400")
    security = operation.get("security", global_security)
    authenticated = bool(security) and any(s for s in security)
    # Login, refresh and logout are anonymous but answer bad credentials with 401 (and suspension with 403).
    if authenticated or path.startswith(CREDENTIAL_PATHS):
        statuses += ["401", "403"]
    if "{" in path or any(p.get("name") == "page" for p in operation.get("parameters", [])):
        statuses.append("404")  # no such object, or no such page
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        statuses += ["413", "415"]  # what reading any JSON body answers (core.errors, DRF's parsers)
    return statuses


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    global_security = result.get("security", [])
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses_for(path, method, operation, global_security):
                responses.setdefault(status, _error_response(status, path))
            if "404" in responses:  # a view's own 404, described in its words: the body it answers, too
                content = responses["404"].setdefault("content", {}).setdefault("application/json", {})
                content.setdefault("schema", ERROR_REF)
                if "examples" not in content:
                    content.setdefault("example", _error_example("404", path))
    return result
