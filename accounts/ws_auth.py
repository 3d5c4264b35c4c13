"""WebSocket authentication: the JWT access token from the `token` query parameter sets scope["user"]."""

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User


@database_sync_to_async
def _active_user(user_id: Any) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


async def user_from_token(token: str) -> User | AnonymousUser:
    try:
        access = AccessToken(token)  # type: ignore[arg-type]
    except TokenError:
        return AnonymousUser()
    user = await _active_user(access.get(jwt_settings.USER_ID_CLAIM))
    return user or AnonymousUser()


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = (params.get("token") or [""])[0]
        scope = {**scope, "user": await user_from_token(token) if token else AnonymousUser()}
        return await super().__call__(scope, receive, send)
