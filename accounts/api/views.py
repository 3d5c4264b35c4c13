"""Thin views over accounts: registration, JWT tokens (body or HttpOnly cookie), profile, search."""

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token

from accounts import emails, selectors, services, tokens
from accounts.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateInputSerializer,
    ApiTokenSerializer,
    AvatarInputSerializer,
    BlockInputSerializer,
    BlockSerializer,
    BotCreateInputSerializer,
    BotSerializer,
    InvitationCreatedSerializer,
    InvitationCreateInputSerializer,
    InvitationSerializer,
    MeSerializer,
    MeUpdateInputSerializer,
    PublicUserSerializer,
    RegisteredUserSerializer,
    RegisterInputSerializer,
    SignUpPolicySerializer,
    TokenObtainInputSerializer,
    TokenPairSerializer,
    TokenRefreshInputSerializer,
    UserSearchInputSerializer,
)
from accounts.api.throttles import AUTH_THROTTLES, AvatarChangeThrottle
from accounts.authentication import request_user
from accounts.exceptions import AccountSuspended
from accounts.models import ApiToken
from accounts.permissions import LOGIN_SESSION_ONLY
from core.client_ip import client_ip as core_client_ip
from core.errors import ERROR_SCHEMA_REF

REFRESH_COOKIE_PATH = "/api/v1/auth/"
# One answer for an unknown username and a wrong password, in words a person reads (the web app shows it).
NO_ACCOUNT = "Wrong username or password."


def client_ip(request: Request) -> str | None:
    """The client's address as the rate limits see it (core.client_ip: X-Forwarded-For as far as
    TRUSTED_PROXIES wrote it); None if it is not one."""
    try:
        return str(ipaddress.ip_address(core_client_ip(request._request)))
    except ValueError:
        return None


def site_url(request: Request) -> str:
    """The address this request came to (Host is checked against ALLOWED_HOSTS), for links in emails."""
    return request.build_absolute_uri("/")


def current_session(request: Request) -> str:
    """The login session of a request authenticated with a JWT; "" otherwise."""
    return str(request.auth.get(tokens.SESSION_CLAIM, "")) if isinstance(request.auth, Token) else ""


def _token_response(tokens: dict[str, Any], *, use_cookie: bool) -> Response:
    """Answer with the token pair; in cookie mode the refresh token goes only into the cookie."""
    body = {"access": str(tokens["access"]), "refresh": str(tokens["refresh"])}
    if not use_cookie:
        return Response(body)
    response = Response({"access": body["access"]})
    response.set_cookie(
        settings.REFRESH_COOKIE_NAME,
        body["refresh"],
        max_age=int(jwt_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
        path=REFRESH_COOKIE_PATH,
        secure=settings.REFRESH_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


MISSING_REFRESH = "This field is required: send the refresh token here, or the refresh cookie."


def _refresh_token_from(request: Request) -> tuple[str, bool]:
    """The refresh token from the body, else from the cookie; and whether it came from the cookie. With
    neither, a required field is missing: 400 naming `refresh` (a token that is no good is a 401)."""
    data = TokenRefreshInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    if token := data.validated_data.get("refresh"):
        return token, False
    if token := request.COOKIES.get(settings.REFRESH_COOKIE_NAME):
        return token, True
    raise ValidationError({"refresh": [MISSING_REFRESH]}, code="required")


class PublicApi(APIView):
    """An endpoint for anonymous callers; its refusals are still 401 with a Bearer challenge."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class RegisterApi(PublicApi):
    throttle_classes = AUTH_THROTTLES

    @extend_schema(
        request=RegisterInputSerializer,
        responses={
            201: RegisteredUserSerializer,
            403: OpenApiResponse(ERROR_SCHEMA_REF, description="Sign-up is by invitation only"),
        },
    )
    def post(self, request: Request) -> Response:
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data, site_url=site_url(request))
        return Response(RegisteredUserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainApi(PublicApi):
    throttle_classes = AUTH_THROTTLES

    @extend_schema(request=TokenObtainInputSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        """Sign in: a new login session (listed under /sessions/) and its token pair. With two-factor
        authentication on, the right password without `otp` gets 401 `otp_required`; send it again with the
        code (or a recovery code). A wrong code gets 401 `otp_invalid`, too many 429 `otp_throttled`."""
        data = TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credentials = {key: data.validated_data[key] for key in ("username", "password")}
        if selectors.suspended_user_for_credentials(**credentials) is not None:
            raise AccountSuspended()  # only with the right password: no one else learns of the suspension
        user = authenticate(request, **credentials)
        if user is None:  # one 401 body for an unknown user and a wrong password
            raise AuthenticationFailed(NO_ACCOUNT, code="no_active_account")
        # Only now: a wrong password never learns that a code would be asked. No code: 401 otp_required.
        services.two_factor_verify(user=user, code=data.validated_data["otp"])
        refresh = services.session_start(
            user=user,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        pair = {"access": refresh.access_token, "refresh": refresh}
        return _token_response(pair, use_cookie=data.validated_data["use_cookie"])


class TokenRefreshApi(PublicApi):
    @extend_schema(request=TokenRefreshInputSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        token, from_cookie = _refresh_token_from(request)
        if selectors.suspended_user_for_refresh_token(token=token) is not None:
            raise AccountSuspended()
        try:
            access, refresh = services.session_refresh(token=token, ip_address=client_ip(request))
        except TokenError as error:
            raise InvalidToken(str(error)) from error
        return _token_response({"access": access, "refresh": refresh}, use_cookie=from_cookie)


class LogoutApi(PublicApi):
    @extend_schema(
        request=TokenRefreshInputSerializer,
        responses={204: OpenApiResponse(description="Logged out")},
        description="End the login session of this refresh token (from the body, else the cookie): the "
        "refresh token is blacklisted, every access token of the session is refused from now on, and the "
        "sockets opened with them close (4401).",
    )
    def post(self, request: Request) -> Response:
        token, _ = _refresh_token_from(request)
        try:
            services.session_end(refresh_token=token)
        except TokenError as error:
            raise InvalidToken(str(error)) from error
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response.delete_cookie(settings.REFRESH_COOKIE_NAME, path=REFRESH_COOKIE_PATH, samesite="Strict")
        return response


class MeApi(APIView):
    open_before_two_factor = True  # accounts.permissions.StaffHasTwoFactor

    @extend_schema(responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeUpdateInputSerializer, responses={200: MeSerializer})
    def patch(self, request: Request) -> Response:
        data = MeUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request_user(request), **data.validated_data)
        return Response(MeSerializer(user).data)


class AvatarApi(APIView):
    """The signed-in user's profile picture: PUT a new one (multipart, field `avatar`), DELETE it."""

    parser_classes = [MultiPartParser]

    def get_throttles(self) -> list[Any]:
        return [*super().get_throttles(), AvatarChangeThrottle()]

    @extend_schema(
        request={"multipart/form-data": AvatarInputSerializer},
        responses={
            200: MeSerializer,
            400: OpenApiResponse(
                ERROR_SCHEMA_REF,
                description="`not_an_image`: not a PNG, JPEG, WebP or GIF picture (an SVG is refused); "
                "`invalid`: no `avatar` file",
            ),
            413: OpenApiResponse(ERROR_SCHEMA_REF, description="`too_large`: a picture past 5 MiB"),
        },
    )
    def put(self, request: Request) -> Response:
        data = AvatarInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["avatar"]
        user = services.user_avatar_set(user=request_user(request), upload=upload, size=upload.size)
        return Response(MeSerializer(user).data)

    @extend_schema(request=None, responses={200: MeSerializer})
    def delete(self, request: Request) -> Response:
        user = services.user_avatar_remove(user=request_user(request))
        return Response(MeSerializer(user).data)


class UserListApi(ListAPIView):
    serializer_class = PublicUserSerializer

    @extend_schema(parameters=[UserSearchInputSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        params = UserSearchInputSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return selectors.user_search(query=data["search"], ids=data.get("ids"))


# --- API tokens and bots: managed by their owner, signed in with a password login (JWT), not a token


class IntegrationsApi(APIView):
    permission_classes = LOGIN_SESSION_ONLY


def _token_created(token: ApiToken, raw: str) -> Response:
    return Response({**ApiTokenSerializer(token).data, "token": raw}, status=status.HTTP_201_CREATED)


class ApiTokenListApi(IntegrationsApi):
    @extend_schema(responses={200: ApiTokenSerializer(many=True)})
    def get(self, request: Request) -> Response:
        tokens = selectors.api_token_list_for_user(user=request_user(request))
        return Response(ApiTokenSerializer(tokens, many=True).data)

    @extend_schema(request=ApiTokenCreateInputSerializer, responses={201: ApiTokenCreatedSerializer})
    def post(self, request: Request) -> Response:
        """A personal token: it acts as you, with everything you may do. Shown once."""
        data = ApiTokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_user(request)
        token, raw = services.api_token_create(user=user, name=data.validated_data["name"], created_by=user)
        return _token_created(token, raw)


class ApiTokenDetailApi(IntegrationsApi):
    @extend_schema(responses={204: OpenApiResponse(description="Revoked")})
    def delete(self, request: Request, token_id: int) -> Response:
        token = selectors.api_token_get_for_user(user=request_user(request), token_id=token_id)
        services.api_token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BotListApi(IntegrationsApi):
    @extend_schema(responses={200: BotSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(
            BotSerializer(selectors.bot_list_for_owner(owner=request_user(request)), many=True).data
        )

    @extend_schema(request=BotCreateInputSerializer, responses={201: BotSerializer})
    def post(self, request: Request) -> Response:
        """A bot account you own. Give it tokens with POST /api/v1/bots/{id}/tokens/, add it to conversations
        like any user."""
        data = BotCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bot = services.bot_create(owner=request_user(request), **data.validated_data)
        return Response(BotSerializer(bot).data, status=status.HTTP_201_CREATED)


class BotDetailApi(IntegrationsApi):
    @extend_schema(responses={200: BotSerializer})
    def get(self, request: Request, bot_id: int) -> Response:
        return Response(
            BotSerializer(selectors.bot_get_for_owner(owner=request_user(request), bot_id=bot_id)).data
        )

    @extend_schema(responses={204: OpenApiResponse(description="Deactivated; its tokens are revoked")})
    def delete(self, request: Request, bot_id: int) -> Response:
        bot = selectors.bot_get_for_owner(owner=request_user(request), bot_id=bot_id)
        services.bot_deactivate(bot=bot)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BotTokenListApi(IntegrationsApi):
    @extend_schema(responses={200: ApiTokenSerializer(many=True)})
    def get(self, request: Request, bot_id: int) -> Response:
        bot = selectors.bot_get_for_owner(owner=request_user(request), bot_id=bot_id)
        return Response(ApiTokenSerializer(selectors.api_token_list_for_user(user=bot), many=True).data)

    @extend_schema(request=ApiTokenCreateInputSerializer, responses={201: ApiTokenCreatedSerializer})
    def post(self, request: Request, bot_id: int) -> Response:
        """A token that acts as the bot. Shown once."""
        owner = request_user(request)
        # first: someone else's bot is a 404 whatever the body
        bot = selectors.bot_get_for_owner(owner=owner, bot_id=bot_id)
        data = ApiTokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, raw = services.api_token_create(user=bot, name=data.validated_data["name"], created_by=owner)
        return _token_created(token, raw)


class BotTokenDetailApi(IntegrationsApi):
    @extend_schema(responses={204: OpenApiResponse(description="Revoked")})
    def delete(self, request: Request, bot_id: int, token_id: int) -> Response:
        bot = selectors.bot_get_for_owner(owner=request_user(request), bot_id=bot_id)
        services.api_token_revoke(token=selectors.api_token_get_for_user(user=bot, token_id=token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- blocks


class BlockListApi(APIView):
    @extend_schema(responses={200: BlockSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The people you have blocked."""
        return Response(
            BlockSerializer(selectors.block_list_for_user(user=request_user(request)), many=True).data
        )

    @extend_schema(request=BlockInputSerializer, responses={201: BlockSerializer})
    def post(self, request: Request) -> Response:
        """Block someone: no new direct conversation between you, they cannot add you to groups, and your
        direct conversation carries no more messages either way. They are not told."""
        data = BlockInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block = services.block_create(blocker=request_user(request), blocked_id=data.validated_data["user"])
        return Response(BlockSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockDetailApi(APIView):
    @extend_schema(responses={204: OpenApiResponse(description="Unblocked")})
    def delete(self, request: Request, user_id: int) -> Response:
        block = selectors.block_get_for_user(user=request_user(request), blocked_id=user_id)
        services.block_delete(block=block)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- who may join


class SignUpPolicyApi(PublicApi):
    @extend_schema(responses={200: SignUpPolicySerializer})
    def get(self, request: Request) -> Response:
        """Whether sign-up needs an invitation, and which email domains it allows (for the sign-up screen)."""
        policy = selectors.account_policy()
        body = {"sign_up": policy.sign_up, "allowed_email_domains": policy.email_domains}
        return Response(SignUpPolicySerializer(body).data)


class InvitationListApi(IntegrationsApi):
    @extend_schema(responses={200: InvitationSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Your invitations still usable."""
        invitations = selectors.invitation_list_for_user(user=request_user(request))
        return Response(InvitationSerializer(invitations, many=True).data)

    @extend_schema(request=InvitationCreateInputSerializer, responses={201: InvitationCreatedSerializer})
    def post(self, request: Request) -> Response:
        """An invitation link for up to `max_uses` people within `days` days; the link is shown only now."""
        data = InvitationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, raw = services.invitation_create(creator=request_user(request), **data.validated_data)
        link = emails.site_link(site_url(request), f"/signup?invite={raw}")
        body = {**InvitationSerializer(invitation).data, "link": link}
        return Response(body, status=status.HTTP_201_CREATED)


class InvitationDetailApi(IntegrationsApi):
    @extend_schema(responses={204: OpenApiResponse(description="Revoked")})
    def delete(self, request: Request, invitation_id: int) -> Response:
        invitation = selectors.invitation_get_for_user(
            user=request_user(request), invitation_id=invitation_id
        )
        services.invitation_revoke(invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)
