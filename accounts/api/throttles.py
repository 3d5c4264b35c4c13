"""Throttles of the account endpoints (login, registration, passwords), kept in the default cache."""

import hashlib

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


class AuthIPThrottle(SimpleRateThrottle):
    scope = "auth_ip"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthUsernameThrottle(SimpleRateThrottle):
    scope = "auth_username"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        username = request.data.get("username") if isinstance(request.data, dict) else None
        if not isinstance(username, str) or not username:
            return None
        return self.cache_format % {"scope": self.scope, "ident": _digest(username)}


def _digest(value: str) -> str:
    """Hashed: the key stays short and safe for any cache, and no name or address is stored in it."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


class PasswordResetAddressThrottle(SimpleRateThrottle):
    """Reset emails per address, whoever asks: nobody can flood an inbox."""

    scope = "password_reset_address"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        address = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(address, str) or not address:
            return None
        return self.cache_format % {"scope": self.scope, "ident": _digest(address)}


class PasswordCheckThrottle(SimpleRateThrottle):
    """Requests that check the signed-in user's password (change it, turn off 2FA, delete the account), per
    user: a stolen session cannot guess the password at the API's general rate."""

    scope = "password_check"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        user = request.user
        if not (user and user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class EmailSendThrottle(PasswordCheckThrottle):
    """Verification emails a signed-in user asks for (again, or for a new address): no inbox is flooded."""

    scope = "email_send"


AUTH_THROTTLES = [AuthIPThrottle, AuthUsernameThrottle]
