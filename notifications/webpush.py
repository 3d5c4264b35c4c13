"""The one place Parley talks to push services: pywebpush signs (VAPID), encrypts (aes128gcm) and POSTs."""

import json
import logging
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from notifications.models import PushSubscription

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushResult:
    status: int | None  # None: no answer (network error, timeout) or not sendable at all
    retry_after: int | None = None
    unsendable: bool = False  # the subscription's data was refused locally; retrying won't help

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """The subscription expired or was revoked: never push to it again."""
        return self.status in (404, 410)

    @property
    def retryable(self) -> bool:
        if self.status is None:
            return not self.unsendable
        return self.status == 429 or self.status >= 500


@cache
def _vapid_key(private_key: str) -> Vapid:
    return Vapid.from_string(private_key=private_key)


def _retry_after_seconds(value: str | None) -> int | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return int(value)
    try:
        return max(0, int((parsedate_to_datetime(value) - timezone.now()).total_seconds()))
    except (TypeError, ValueError):
        return None


def send_push(subscription: PushSubscription, payload: dict[str, Any], *, urgency: str) -> PushResult:
    claims: dict[str, str | int] = {"sub": settings.VAPID_SUBJECT}  # aud and exp are set per endpoint
    try:
        response = webpush(
            subscription.subscription_info,
            data=json.dumps(payload),
            vapid_private_key=_vapid_key(settings.VAPID_PRIVATE_KEY),
            vapid_claims=claims,
            ttl=settings.PUSH_TTL_SECONDS,
            headers={"Urgency": urgency},
            timeout=settings.PUSH_REQUEST_TIMEOUT_SECONDS,
        )
    except WebPushException as error:
        if error.response is None:
            logger.warning("push to subscription %s not sent: %s", subscription.pk, error.message)
            return PushResult(status=None, unsendable=True)
        return PushResult(status=error.status_code, retry_after=_retry_after_seconds(error.retry_after))
    except requests.RequestException as error:
        logger.warning("push to subscription %s failed: %s", subscription.pk, error)
        return PushResult(status=None)
    assert isinstance(response, requests.Response)  # noqa: S101 (curl=False always answers a Response)
    return PushResult(status=response.status_code)
