"""REST rate limits (docs/api.md), counted in the default cache (Redis in every deployed mode).

Rates are read from settings on each request, so `override_settings` and the environment both apply. Views
with their own `throttle_classes` (login, registration, webhooks) replace these; the webhook ones are charged
by the view itself, once it knows whether the secret is right."""

import logging
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.client_ip import client_ip

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # rest_framework.views imports the throttle classes named in settings
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ClientRateThrottle(SimpleRateThrottle):
    """DRF's throttle, with the client address of core.client_ip: X-Forwarded-For counts only as far as it
    was written by TRUSTED_PROXIES, so a client cannot make itself a new address per request."""

    def get_ident(self, request: "Request") -> str:
        return client_ip(request._request)


class _SettingsRateThrottle(ClientRateThrottle):
    def __init__(self) -> None:
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        super().__init__()

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        """Fail open: while the cache (Redis) is unreachable the API keeps answering, unlimited."""
        try:
            return super().allow_request(request, view)
        except (RedisError, ConnectionError, TimeoutError):
            logger.warning("rate limit %s skipped: the cache is unreachable", self.scope)
            return True

    def _key(self, ident: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class UserThrottle(_SettingsRateThrottle):
    """Per authenticated user (a bot counts as its own user), whatever the address."""

    scope = "user"

    def get_cache_key(self, request: "Request", view: "APIView") -> str | None:
        return self._key(request.user.pk) if request.user and request.user.is_authenticated else None


class UserIPThrottle(_SettingsRateThrottle):
    """Per client address for authenticated requests: many accounts (or tokens) from one address."""

    scope = "user_ip"

    def get_cache_key(self, request: "Request", view: "APIView") -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self._key(self.get_ident(request))


class AnonThrottle(_SettingsRateThrottle):
    """Per client address for anonymous requests."""

    scope = "anon"

    def get_cache_key(self, request: "Request", view: "APIView") -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self._key(self.get_ident(request))


class WebhookThrottle(_SettingsRateThrottle):
    """Posts per webhook, counted only once their secret is proved (messaging.api.webhooks calls it with the
    webhook): a stranger who knows a webhook's id cannot use up its integration's limit."""

    scope = "webhook"

    def __init__(self, *, webhook_id: int) -> None:
        super().__init__()
        self.webhook_id = webhook_id

    def get_cache_key(self, request: "Request", view: "APIView") -> str | None:
        return self._key(self.webhook_id)


class WebhookRefusedThrottle(_SettingsRateThrottle):
    """Webhook posts refused for their secret (wrong, rotated, revoked, or no such webhook), per client
    address: these cost no webhook anything, and a flood of them is refused from its own address."""

    scope = "webhook_refused"

    def get_cache_key(self, request: "Request", view: "APIView") -> str | None:
        return self._key(self.get_ident(request))
