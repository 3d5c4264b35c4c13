"""Registration and login throttles, per client IP and per username, kept in the default cache."""

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
        # Hashed: the key stays short and safe for any cache, and no username is stored in it.
        digest = hashlib.sha256(username.lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


AUTH_THROTTLES = [AuthIPThrottle, AuthUsernameThrottle]
