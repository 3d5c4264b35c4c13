from uuid import UUID

from django.http.response import HttpResponseBase
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from files import content
from files import storage as file_storage
from files.api.views import DOWNLOAD_RESPONSES
from previews import selectors


class PreviewImageApi(APIView):
    """Parley's copy of a link preview's image (its URL is in the preview; the page's own is never used)."""

    @extend_schema(responses=DOWNLOAD_RESPONSES)
    def get(self, request: Request, preview_id: UUID) -> HttpResponseBase:
        preview = selectors.link_preview_with_image(preview_id=preview_id)
        return file_storage.backend().download_response(
            preview.image_key, filename="preview.webp", content_type=content.THUMBNAIL_TYPE, inline=True
        )
