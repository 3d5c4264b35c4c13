"""Throttles of the account endpoints (login, registration, passwords), per client address
(core.client_ip) and per account, kept in the default cache. The admin's login uses the login ones too
(accounts.admin_site)."""

import hashlib
from typing import TYPE_CHECKING

from accounts import usernames
from core.throttles import ClientRateThrottle

if TYPE_CHECKING:  # rest_framework.views imports the throttle classes named in settings: no cycle at run time
    from rest_framework.request import Request
    from rest_framework.views import APIView


class AuthIPThrottle(ClientRateThrottle):
    scope = "auth_ip"

    def get_cache_key(self, request: "Request", view: "APIView | None") -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthUsernameThrottle(ClientRateThrottle):
    """Per account, however its name is spelt: keyed as login finds the account (accounts.usernames), so that
    padding, re-casing or look-alike letters all count against the one name."""

    scope = "auth_username"

    def get_cache_key(self, request: "Request", view: "APIView | None") -> str | None:
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None
        return _hashed_key(self, usernames.lookalike_key(username))


def _hashed_key(throttle: ClientRateThrottle, value: str) -> str | None:
    """Keyed by a hash: the key stays short and safe for any cache, and no name or address is stored in it.
    None for text UTF-8 cannot carry (a lone surrogate, which JSON writes as the escape `\\ud800`): no account
    or address holds it, the serializer refuses it with a 400 naming the field, and until then only the
    per-address limit counts it."""
    try:
        digest = hashlib.sha256(value.encode()).hexdigest()
    except UnicodeEncodeError:
        return None
    return throttle.cache_format % {"scope": throttle.scope, "ident": digest}


class PasswordResetAddressThrottle(ClientRateThrottle):
    """Reset emails per address, whoever asks: nobody can flood an inbox."""

    scope = "password_reset_address"

    def get_cache_key(self, request: "Request", view: "APIView") -> str | None:
        address = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(address, str) or not address:
            return None
        return _hashed_key(self, address.strip().lower())


class _PerUserThrottle(ClientRateThrottle):
    def get_cache_key(self, request: "Request", view: "APIView | None") -> str | None:
        user = request.user
        if not (user and user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class PasswordCheckThrottle(_PerUserThrottle):
    """Wrong passwords given by the signed-in user (to change it, turn off 2FA, delete the account), per user:
    a stolen session cannot guess the password at the API's general rate. Once the limit's wrong passwords
    were given, such requests are refused; only a wrong password counts (the view calls `charge` on
    accounts.exceptions.WrongPassword), not a right one refused for another reason (a new password too weak,
    a wrong code)."""

    scope = "password_check"

    def throttle_success(self) -> bool:
        return True  # checking costs nothing: see charge()

    @classmethod
    def charge(cls, request: "Request") -> None:
        """Count a wrong password against the user's limit."""
        throttle = cls()
        if throttle.allow_request(request, None) and getattr(throttle, "key", None):  # type: ignore[arg-type]
            throttle.history.insert(0, throttle.now)
            throttle.cache.set(throttle.key, throttle.history, throttle.parse_rate(throttle.rate)[1])


class EmailSendThrottle(_PerUserThrottle):
    """Verification emails a signed-in user asks for (again, or for a new address): no inbox is flooded."""

    scope = "email_send"


class AvatarChangeThrottle(_PerUserThrottle):
    """New profile pictures (and removals) per user: each upload is decoded and re-encoded."""

    scope = "avatar_change"


AUTH_THROTTLES = [AuthIPThrottle, AuthUsernameThrottle]
