"""Thin views over push notifications: the VAPID key, the caller's subscriptions, their preferences."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from notifications import selectors, services
from notifications.api.serializers import (
    NotificationPreferencesInputSerializer,
    NotificationPreferencesSerializer,
    PushKeySerializer,
    PushSubscriptionInputSerializer,
    PushSubscriptionSerializer,
)


class PushKeyApi(APIView):
    """The public half of the VAPID key pair; public by nature, so no login needed."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: PushKeySerializer})
    def get(self, request: Request) -> Response:
        return Response({"public_key": settings.VAPID_PUBLIC_KEY})


class PushSubscriptionListCreateApi(ListAPIView):
    serializer_class = PushSubscriptionSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.push_subscription_list_for_user(user=request_user(self.request))

    @extend_schema(
        request=PushSubscriptionInputSerializer,
        responses={201: PushSubscriptionSerializer, 200: PushSubscriptionSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PushSubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        subscription, created = services.push_subscription_register(
            user=request_user(request),
            endpoint=fields["endpoint"],
            p256dh=fields["keys"]["p256dh"],
            auth=fields["keys"]["auth"],
            device_name=fields["device_name"],
        )
        return Response(
            PushSubscriptionSerializer(subscription).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class PushSubscriptionDetailApi(APIView):
    @extend_schema(responses={204: OpenApiResponse(description="Unsubscribed")})
    def delete(self, request: Request, subscription_id: int) -> Response:
        services.push_subscription_delete(user=request_user(request), subscription_id=subscription_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationPreferencesApi(APIView):
    @extend_schema(responses={200: NotificationPreferencesSerializer})
    def get(self, request: Request) -> Response:
        preferences = selectors.notification_preferences_get_for_user(user=request_user(request))
        return Response(NotificationPreferencesSerializer(preferences).data)

    @extend_schema(
        request=NotificationPreferencesInputSerializer, responses={200: NotificationPreferencesSerializer}
    )
    def patch(self, request: Request) -> Response:
        data = NotificationPreferencesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preferences = services.notification_preferences_update(
            user=request_user(request), **data.validated_data
        )
        return Response(NotificationPreferencesSerializer(preferences).data)
