"""Thin views over incoming webhooks: members manage them; anyone holding the secret URL posts with it."""

from collections.abc import Sequence
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.permissions import LOGIN_SESSION_ONLY
from core.errors import NotFound
from core.ids import uuid_field
from core.schema import ERROR_REF, SEND_ERRORS
from core.serializers import StrictCharField
from core.text import has_visible
from core.throttles import AnonThrottle, WebhookRefusedThrottle, WebhookThrottle
from messaging import selectors
from messaging.api.serializers import MessageSerializer, SenderSerializer
from messaging.models import Message, Webhook
from messaging.services import webhooks

IDEMPOTENCY_KEY_MAX_LENGTH = 200


class WebhookCreateInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=64, help_text="Shown as the sender of its messages.")


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    conversation = serializers.IntegerField(source="conversation_id")
    bot = SenderSerializer(help_text="The bot user its messages are sent as.")
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    rotated_at = serializers.DateTimeField(allow_null=True)


class WebhookSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="Shown only now. Keep it secret: anyone with it can post.")
    url = serializers.URLField(help_text='POST `{"text": …}` here.')


class WebhookPostInputSerializer(serializers.Serializer):
    text = StrictCharField(max_length=Message.BODY_MAX_LENGTH, trim_whitespace=False, help_text="Markdown.")
    client_id = uuid_field(
        required=False,
        help_text="Idempotency key; or send an `Idempotency-Key` header. The same key again "
        "returns the same message. With both, this is the key and the header is not read.",
    )

    def validate_text(self, text: str) -> str:
        if not has_visible(text):
            raise serializers.ValidationError("The message cannot be empty.")
        return text


def _with_secret(request: Request, webhook: Webhook, secret: str, status_code: int) -> Response:
    url = request.build_absolute_uri(f"/api/v1/hooks/{secret}/")
    return Response({**WebhookSerializer(webhook).data, "secret": secret, "url": url}, status=status_code)


# A webhook's secret URL is a credential that outlives any token: made, rotated and revoked from a login
# session only, as tokens and bots are (members may list them with a token).
class ConversationWebhooksApi(APIView):
    def get_permissions(self) -> Sequence[Any]:
        if self.request.method == "GET":
            return super().get_permissions()
        return [permission() for permission in LOGIN_SESSION_ONLY]

    @extend_schema(responses={200: WebhookSerializer(many=True)})
    def get(self, request: Request, conversation_id: int) -> Response:
        hooks = selectors.webhook_list_for_user(user=request_user(request), conversation_id=conversation_id)
        return Response(WebhookSerializer(hooks, many=True).data)

    @extend_schema(request=WebhookCreateInputSerializer, responses={201: WebhookSecretSerializer})
    def post(self, request: Request, conversation_id: int) -> Response:
        """A webhook for this conversation (groups and channels). Its bot joins the conversation."""
        # first: a conversation one is not in is a 404 whatever the body
        selectors.membership_get(user=request_user(request), conversation_id=conversation_id)
        data = WebhookCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        webhook, secret = webhooks.webhook_create(
            user=request_user(request), conversation_id=conversation_id, name=data.validated_data["name"]
        )
        return _with_secret(request, webhook, secret, status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    permission_classes = LOGIN_SESSION_ONLY

    @extend_schema(responses={204: OpenApiResponse(description="Revoked; its bot is retired")})
    def delete(self, request: Request, webhook_id: int) -> Response:
        webhook = selectors.webhook_get_for_manager(user=request_user(request), webhook_id=webhook_id)
        webhooks.webhook_revoke(webhook=webhook)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateApi(APIView):
    permission_classes = LOGIN_SESSION_ONLY

    @extend_schema(request=None, responses={200: WebhookSecretSerializer})
    def post(self, request: Request, webhook_id: int) -> Response:
        """A new secret URL; the old one stops working at once."""
        webhook = selectors.webhook_get_for_manager(user=request_user(request), webhook_id=webhook_id)
        webhook, secret = webhooks.webhook_rotate(webhook=webhook)
        return _with_secret(request, webhook, secret, status.HTTP_200_OK)


# Its only 403: the schema's usual one ("Not allowed", permission_denied) is never answered here.
SUSPENDED_MAKER = OpenApiResponse(
    ERROR_REF,
    description="`account_suspended`: the webhook's maker, or its bot, is suspended; it posts again once a "
    "moderator reinstates them",
    examples=[
        OpenApiExample(
            "Suspended",
            value={
                "error": {"code": "account_suspended", "detail": selectors.WEBHOOK_SUSPENDED, "fields": {}}
            },
            response_only=True,
            status_codes=["403"],
        )
    ],
)


class HookPostApi(APIView):
    """Unauthenticated: the secret in the URL is the credential."""

    permission_classes = [AllowAny]
    authentication_classes = []
    # The webhook's own limits are charged in _webhook, once the secret is checked.
    throttle_classes = [AnonThrottle]

    @extend_schema(
        request=WebhookPostInputSerializer,
        responses={202: MessageSerializer, 403: SUSPENDED_MAKER, **SEND_ERRORS},
        auth=[],
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="A redelivery with the same key is not posted twice. At most "
                f"{IDEMPOTENCY_KEY_MAX_LENGTH} characters (a longer one is a 400). Not read when the body "
                "has a `client_id`, which is then the key.",
            )
        ],
        examples=[OpenApiExample("Deploy notice", value={"text": "Deployed **v1.4.2** to production"})],
    )
    def post(self, request: Request, secret: str) -> Response:
        webhook = self._webhook(request, secret)  # first: without the secret, any body is a counted 404
        data = WebhookPostInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        idempotency_key = request.headers.get("Idempotency-Key", "")
        if len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:  # cut short, two keys could post as one
            raise serializers.ValidationError(
                {"Idempotency-Key": [f"At most {IDEMPOTENCY_KEY_MAX_LENGTH} characters."]}
            )
        client_id = webhooks.webhook_client_id(
            webhook=webhook, client_id=data.validated_data.get("client_id"), idempotency_key=idempotency_key
        )
        message = webhooks.webhook_post(
            webhook=webhook, text=data.validated_data["text"], client_id=client_id
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_202_ACCEPTED)

    def _webhook(self, request: Request, secret: str) -> Webhook:
        """The webhook whose secret this is. Only such a post counts against the webhook's own limit, so that
        nobody without the secret can use it up; a refused one (404, as ever) counts against its address."""
        try:
            webhook = selectors.webhook_for_secret(secret=secret)
        except NotFound:
            self._charge(request, WebhookRefusedThrottle())
            raise
        self._charge(request, WebhookThrottle(webhook_id=webhook.pk))
        return webhook

    def _charge(self, request: Request, throttle: WebhookThrottle | WebhookRefusedThrottle) -> None:
        if not throttle.allow_request(request, self):
            raise exceptions.Throttled(throttle.wait())
