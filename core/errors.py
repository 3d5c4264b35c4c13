"""Errors the layers share, and one error shape for the whole API: {"error": {"code", "detail", "fields"}}.

Services and selectors raise Django's own errors (ValidationError, PermissionDenied), `NotFound` for what does
not exist or may not be seen, and `Refused` for a request the client can act on by its code (a send that
could not be made durable, a frame that does not parse). The socket turns them into `error` frames; REST
into the statuses below, here and only here."""

import math
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from core.error_bodies import SERVER_ERROR, UNREADABLE_REQUEST, error_body, error_bytes

# The `Error` component (core.schema writes it), for views that name an error answer of their own.
ERROR_SCHEMA_REF = {"$ref": "#/components/schemas/Error"}


class NotFound(ObjectDoesNotExist):
    """No such object, or not one the user may see: the two are never told apart."""


def not_found_detail(exc: ObjectDoesNotExist) -> str:
    """What REST and the socket say of it: a NotFound's own text, else DRF's "Not found." (never Django's
    "… matching query does not exist", which names models)."""
    return (str(exc) if isinstance(exc, NotFound) else "") or str(exceptions.NotFound.default_detail)


class Refused(Exception):
    """A request not carried out, with a stable code the client acts on (docs/protocol.md, "Errors")."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


# The HTTP status of each Refused code; any other code is a 400.
REFUSED_STATUS = {
    "unavailable": 503,  # could not be made durable: retry with the same client_id
    "conflict": 409,  # the same client_id is still being sent
    "already_reported": 409,
    "not_found": 404,
    "forbidden": 403,
    "rate_limited": 429,
    "otp_required": 401,  # a sign-in that needs its second factor
    "otp_invalid": 401,
    "otp_throttled": 429,
    "email_unverified": 403,  # the policy requires a verified email to post
    "blocked": 403,  # a block between two people stops this
    "mention_not_allowed": 403,  # @all or @here where the conversation allows them only to admins
    "invitation_required": 403,  # sign-up is by invitation only
    "export_in_progress": 409,  # a data export is already being built
    "too_large": 413,  # an upload past its limit (a profile picture)
}


class RequestTooLarge(exceptions.APIException):
    """A body past DATA_UPLOAD_MAX_MEMORY_SIZE: Django refuses to read it (RequestDataTooBig, a 400 page)."""

    status_code = 413
    default_code = "too_large"
    default_detail = "The request body is too large to be read."


class RefusedError(exceptions.APIException):
    """A Refused request as DRF answers it."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.detail, refused.code)
        self.status_code = REFUSED_STATUS.get(refused.code, 400)


def _first_message(fields: Any) -> str:
    """The first message of a (possibly nested) DRF error detail, for a one-line `detail`."""
    while isinstance(fields, dict | list) and fields:
        fields = next(iter(fields.values())) if isinstance(fields, dict) else fields[0]
    return str(fields) if fields else "The request has invalid fields."


def _as_api_exception(exc: Exception) -> Exception:
    """Django's own errors, raised by services and selectors, as their DRF equivalents."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, ObjectDoesNotExist):
        return exceptions.NotFound(not_found_detail(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)  # a service's reason, for the person to read
    if isinstance(exc, Refused):
        return RefusedError(exc)
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    return exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Imported here: rest_framework.views loads the authentication classes, which import this module.
    from rest_framework.views import exception_handler

    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", _first_message(fields), fields)
    elif isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)  # DRF sets it; its stubs do not declare it
        response.data = error_body("throttled", throttled_detail(wait))
    else:
        code = exc.get_codes()
        detail = exc.detail.get("detail", exc.default_detail) if isinstance(exc.detail, dict) else exc.detail
        response.data = error_body(code if isinstance(code, str) else exc.default_code, str(detail))
    return response


def throttled_detail(wait: float | None) -> str:
    """What a person reads when a limit stops them: how long to wait, in words (DRF's "Request was throttled.
    Expected available in 3583 seconds." reached the web app as it was)."""
    if wait is None:
        return "Too many requests: try again later."
    seconds = max(1, math.ceil(wait))
    if seconds < 90:
        amount, unit = seconds, "second"
    elif seconds < 90 * 60:
        amount, unit = math.ceil(seconds / 60), "minute"
    else:
        amount, unit = math.ceil(seconds / 3600), "hour"
    return f"Too many requests: try again in {amount} {unit}{'' if amount == 1 else 's'}."


def _error_response(status: int, code: str, detail: str) -> HttpResponse:
    """An error answered before or outside DRF, in the bytes DRF would render (core.error_bodies): the same
    whoever answers. Django's JsonResponse wrote `{"error": {"code": …}}`, spaced."""
    return HttpResponse(error_bytes(code, detail), status=status, content_type="application/json")


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """What Django refuses before any view (a suspicious request: a bad Host header, too many fields)."""
    return _error_response(400, "bad_request", UNREADABLE_REQUEST)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A URL that matches no route (any id out of range too: core.ids)."""
    return _error_response(404, "not_found", "Not found.")


def json_server_error(request: HttpRequest) -> HttpResponse:
    return _error_response(500, "server_error", SERVER_ERROR)
