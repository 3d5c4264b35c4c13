"""WebSocket authentication, called by chatproject.asgi.WebSocketEntry: the `token` query parameter (a JWT
access token, or an API token `pk_…` so that bots can listen) sets scope["user"], and scope["session"]: a
JWT's login session, an API token's `pk_<id>`, so that a logout, or revoking the token, closes the socket.
A suspended account sets scope["suspended"]: the socket closes with 4403.
"""

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts import selectors, tokens
from accounts.exceptions import AccountSuspended
from accounts.models import ApiToken, User
from core.cache import shared_cache


@database_sync_to_async
def _user_for_jwt(access: AccessToken) -> User | None:
    user = selectors.user_by_id(user_id=access.get(jwt_settings.USER_ID_CLAIM))
    if user is not None and user.is_suspended:  # first: a suspension ended the token's session too
        raise AccountSuspended()
    if selectors.session_has_ended(access):
        return None
    if user is None or not selectors.user_may_act(user) or selectors.staff_must_set_up_two_factor(user):
        return None
    return user


@database_sync_to_async
def _user_for_api_token(raw: str) -> tuple[User | AnonymousUser, str]:
    try:
        user, token = selectors.user_for_api_token(raw=raw)
    except AuthenticationFailed:
        return AnonymousUser(), ""
    return user, tokens.api_token_session(token.pk)


async def authenticate(token: str) -> tuple[User | AnonymousUser, str]:
    """(the user a token belongs to, or AnonymousUser if it is invalid; the session it closes with: a JWT's
    login session id, `pk_<id>` for an API token). Raises AccountSuspended."""
    if tokens.looks_like_api_token(token):
        return await _user_for_api_token(token)
    try:
        access = AccessToken(token)  # type: ignore[arg-type]
    except TokenError:
        return AnonymousUser(), ""
    user = await _user_for_jwt(access)
    return user or AnonymousUser(), str(access.get(tokens.SESSION_CLAIM, ""))


@database_sync_to_async
def still_valid(*, user_id: int, session: str) -> bool:
    """Whether a socket's credential still holds: its API token unrevoked, or its login session not ended, and
    its user able to act. A socket checks once it follows its user's channel, since a revocation published
    while it was connecting (after the token was checked, before it listened) would pass it by."""
    user = selectors.user_by_id(user_id=user_id)
    if user is None or not selectors.user_may_act(user):
        return False
    if session.startswith(f"{tokens.API_TOKEN_PREFIX}_"):
        token_id = session.removeprefix(f"{tokens.API_TOKEN_PREFIX}_")
        return ApiToken.objects.filter(pk=int(token_id), user=user, revoked_at__isnull=True).exists()
    return not (session and shared_cache().get(selectors.ended_session_key(session)))


async def authenticated(scope: dict[str, Any]) -> dict[str, Any]:
    """A copy of `scope` with the token's user (AnonymousUser if it has none, or is invalid), its session,
    and whether the account is suspended."""
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    token = (params.get("token") or [""])[0]
    user: User | AnonymousUser = AnonymousUser()
    session, suspended = "", False
    if token:
        try:
            user, session = await authenticate(token)
        except AccountSuspended:
            suspended = True
    return {**scope, "user": user, "session": session, "suspended": suspended}
