"""Members report messages; moderators handle the reports in the admin."""

from uuid import UUID

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from core.errors import ERROR_SCHEMA_REF
from messaging import selectors as messaging_selectors
from moderation import services
from moderation.api.serializers import ReportInputSerializer, ReportSerializer


class MessageReportApi(APIView):
    @extend_schema(
        request=ReportInputSerializer,
        responses={
            201: ReportSerializer,
            409: OpenApiResponse(ERROR_SCHEMA_REF, description="You have already reported this message"),
        },
        examples=[
            OpenApiExample(
                "Spam", value={"reason": "Spam: the same link in every channel"}, request_only=True
            )
        ],
    )
    def post(self, request: Request, message_id: UUID) -> Response:
        """Report a message of a conversation you are in to the moderators, once."""
        # first: a message one may not see is a 404 whatever the body
        messaging_selectors.message_check_seen(user=request_user(request), message_id=message_id)
        data = ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(
            user=request_user(request), message_id=message_id, reason=data.validated_data["reason"]
        )
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)
