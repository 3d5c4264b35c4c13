"""Thin views over files: start an upload, receive it (embedded mode), complete or discard it, download it."""

from uuid import UUID

from django.http import Http404
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts.authentication import request_user
from core.schema import refused
from files import events, selectors, services
from files import storage as file_storage
from files.api.serializers import FileCreateInputSerializer, FileUploadSerializer, StoredFileSerializer

DOWNLOAD_RESPONSES = {
    302: OpenApiResponse(description="S3: redirect to a presigned GET valid for a few minutes"),
    200: OpenApiResponse(description="Embedded mode: the bytes"),
    404: OpenApiResponse(description="No such file, or not yours to see"),
}


class FileCreateApi(APIView):
    @extend_schema(request=FileCreateInputSerializer, responses={201: FileUploadSerializer})
    def post(self, request: Request) -> Response:
        data = FileCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = services.file_upload_start(
            owner=request_user(request), name=data.validated_data["name"], size=data.validated_data["size"]
        )
        return Response({"id": str(upload.file.id), "upload": upload.target}, status=status.HTTP_201_CREATED)


class FileContentApi(APIView):
    """Embedded mode only: the upload target named by FileCreateApi. Send the raw bytes as the body."""

    @extend_schema(request={"application/octet-stream": bytes}, responses={204: None})
    def put(self, request: Request, file_id: UUID) -> Response:
        length = request.META.get("CONTENT_LENGTH")
        services.file_upload_receive(
            owner=request_user(request),
            file_id=file_id,
            stream=request.stream,
            length=int(length) if length and length.isdigit() else None,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileCompleteApi(APIView):
    @extend_schema(
        request=None,
        responses={200: StoredFileSerializer, **refused("`invalid`: nothing has been uploaded for it yet")},
    )
    def post(self, request: Request, file_id: UUID) -> Response:
        stored = services.file_upload_complete(owner=request_user(request), file_id=file_id)
        return Response(events.attachment_payload(stored))


class FileDiscardApi(APIView):
    @extend_schema(
        responses={204: None, **refused("`invalid`: a message carries it: delete the message instead")},
        description="Discard one of your uploads that no message carries, pending or ready (removed from "
        "the message box). A file attached to a message is a 400: delete the message instead.",
    )
    def delete(self, request: Request, file_id: UUID) -> Response:
        services.file_upload_discard(owner=request_user(request), file_id=file_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileDownloadApi(APIView):
    @extend_schema(responses=DOWNLOAD_RESPONSES)
    def get(self, request: Request, file_id: UUID) -> HttpResponseBase:
        stored = selectors.file_get_for_download(user=request_user(request), file_id=file_id)
        return file_storage.file_response(stored)


class FileThumbnailApi(APIView):
    @extend_schema(responses=DOWNLOAD_RESPONSES)
    def get(self, request: Request, file_id: UUID) -> HttpResponseBase:
        stored = selectors.file_get_for_download(user=request_user(request), file_id=file_id)
        return file_storage.thumbnail_response(stored)


class AvatarApi(APIView):
    """A user's profile picture (its URL is their `avatar_url`), for anyone signed in: served as the image it
    is (never sniffed, never a document), like a file's thumbnail."""

    @extend_schema(responses=DOWNLOAD_RESPONSES)
    def get(self, request: Request, user_id: int) -> HttpResponseBase:
        name, content_type = account_selectors.avatar_for_download(user_id=user_id)
        try:
            return file_storage.backend().download_response(
                name, filename=f"avatar{name[name.rfind('.') :]}", content_type=content_type, inline=True
            )
        except FileNotFoundError:  # local disk: a name whose file is gone (S3 answers the browser itself)
            raise Http404 from None
