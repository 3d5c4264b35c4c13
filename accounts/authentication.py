"""REST authentication: `Authorization: Bearer <token>` with either an API token (`pk_…`) or a JWT access
token. The API token class runs first and passes on anything that is not `pk_…`, so the JWT class never sees
an API token; a suspended account is refused with 403 `account_suspended` by both."""

from datetime import UTC, datetime
from typing import Any, cast

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token

from accounts import selectors, services, tokens
from accounts.models import ApiToken, User


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].decode("latin-1") != self.keyword:
            return None
        raw = parts[1].decode("latin-1")
        if not tokens.looks_like_api_token(raw):
            return None  # a JWT: JWTAuthentication's turn
        user, token = selectors.user_for_api_token(raw=raw)
        services.api_token_touch(token=token, now=datetime.now(tz=UTC))
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class SuspensionAwareJWTAuthentication(JWTAuthentication):
    """simplejwt's JWT check (it already refuses inactive users); a suspended one gets the clear error, and
    a token whose session was ended by a logout is refused like an expired one."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        if selectors.session_has_ended(token):
            _refuse_if_suspended(token)  # a suspension ends the sessions too: say why
            raise InvalidToken("This session has ended; log in again.")
        return token

    def get_user(self, validated_token: Token) -> Any:
        try:
            return super().get_user(validated_token)
        except AuthenticationFailed:
            _refuse_if_suspended(validated_token)
            raise


def _refuse_if_suspended(token: Token) -> None:
    """AccountSuspended if the token's user (or a bot's owner) is suspended."""
    user_id = token.get(jwt_settings.USER_ID_CLAIM)
    suspended = User.objects.filter(pk=user_id, suspended_at__isnull=False).first()
    if suspended is not None:
        selectors.user_check_not_suspended(suspended)


def authenticated_by_api_token(request: Request) -> bool:
    return isinstance(request.auth, ApiToken)


def request_user(request: Request) -> User:
    """The user a request authenticated as: for views behind IsAuthenticated (the default permission), which
    never see an anonymous one."""
    return cast(User, request.user)
