"""Reads of the previews app."""

from uuid import UUID

from core.errors import NotFound
from previews.models import LinkPreview


def link_preview_with_image(*, preview_id: UUID) -> LinkPreview:
    """A preview's image is as public as the page it came from; its id (random, in the payloads of the
    messages that show it) is what a signed-in user needs to see it."""
    preview = LinkPreview.objects.filter(pk=preview_id, found=True).exclude(image_key="").first()
    if preview is None:
        raise NotFound("No such preview image.")
    return preview
