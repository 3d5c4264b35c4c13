"""Unfurling the URLs of a stored message: each URL's preview from the cache or the safe fetcher, then shown
under the message by messaging (docs/protocol.md, "Link previews")."""

import hashlib
import io
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from core import metrics
from files import content
from files import storage as file_storage
from messaging import services as messaging_services
from messaging.events import LinkPreviewPayload, PreviewImagePayload
from messaging.models import Message
from previews import fetcher, html
from previews.models import LinkPreview
from previews.urls import urls_in

logger = logging.getLogger(__name__)

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
IMAGE_TYPES = frozenset(content.INLINE_IMAGE_TYPES)


def message_unfurl(*, message_id: UUID) -> bool:
    """Preview the URLs of a stored message and show what was found under it. Returns whether the message
    changed (not if it has no URL that could be previewed, was deleted, or was edited meanwhile)."""
    body = (
        Message.objects.filter(pk=message_id, deleted_at__isnull=True).values_list("body", flat=True).first()
    )
    if body is None:
        return False
    found = [preview for preview in map(link_preview_get, urls_in(body)) if preview.found]
    if not found:
        return False
    through = LinkPreview.messages.through
    through.objects.bulk_create(
        [through(linkpreview_id=preview.pk, message_id=message_id) for preview in found],
        ignore_conflicts=True,
    )
    previews = [preview_payload(preview) for preview in found]
    return messaging_services.message_previews_set(message_id=message_id, body=body, previews=previews)


def link_previews_purge_stale(*, batch: int = 1000) -> int:
    """Remove previews (rows and images) not fetched for PREVIEW_KEEP_DAYS that no message still shows:
    the cache would otherwise keep every URL ever posted. Returns how many went."""
    cutoff = datetime.now(tz=UTC) - timedelta(days=settings.PREVIEW_KEEP_DAYS)
    shown = LinkPreview.messages.through.objects.filter(message__deleted_at__isnull=True)
    stale = (
        LinkPreview.objects.filter(fetched_at__lt=cutoff)
        .exclude(pk__in=shown.values("linkpreview_id"))
        .values_list("pk", "image_key")[:batch]
    )
    rows = list(stale)
    LinkPreview.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    for _, image_key in rows:
        file_storage.delete_file(image_key)
    return len(rows)


def link_preview_get(url: str) -> LinkPreview:
    """`url`'s preview: the cached one while it is fresh, else fetched now (and cached, found or not)."""
    url_hash = hashlib.sha256(url.encode()).hexdigest()
    cached = LinkPreview.objects.filter(url_hash=url_hash).first()
    now = datetime.now(tz=UTC)
    if cached is not None and now - cached.fetched_at < _freshness(cached):
        return cached
    preview = cached or LinkPreview(url_hash=url_hash, url=url)
    old_image_key = preview.image_key
    _fill(preview, url)
    preview.fetched_at = now
    try:
        with transaction.atomic():
            preview.save()
    except IntegrityError:  # another task fetched it meanwhile: theirs is as good
        file_storage.delete_file(preview.image_key)
        return LinkPreview.objects.get(url_hash=url_hash)
    if old_image_key and old_image_key != preview.image_key:
        file_storage.delete_file(old_image_key)
    return preview


def _freshness(preview: LinkPreview) -> timedelta:
    seconds = settings.PREVIEW_CACHE_SECONDS if preview.found else settings.PREVIEW_FAILURE_CACHE_SECONDS
    return timedelta(seconds=seconds)


def _host(url: str) -> str:
    """What a log line may say of a URL from a message: its host; its path and query are the message's words
    (a shared document's token, a reset link), which logs never hold."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _fill(preview: LinkPreview, url: str) -> None:
    """Fetch the page and its image into `preview`; a refusal or failure leaves it not found."""
    try:
        page = fetcher.fetch(url, accept=PAGE_TYPES, max_bytes=settings.PREVIEW_MAX_PAGE_BYTES)
    except fetcher.FetchRefused as refusal:
        logger.info("link preview refused", extra={"host": _host(url), "reason": str(refusal)})
        metrics.LINK_PREVIEW_FETCHES.labels(outcome="refused").inc()
        preview.found, preview.title, preview.description, preview.site_name = False, "", "", ""
        preview.image_key, preview.image_width, preview.image_height = "", None, None
        return
    summary = html.summarise(html.decode(page.body, page.charset), base_url=page.url)
    preview.found = bool(summary.title or summary.description)
    metrics.LINK_PREVIEW_FETCHES.labels(outcome="found" if preview.found else "nothing").inc()
    preview.title, preview.description, preview.site_name = (
        summary.title,
        summary.description,
        summary.site_name,
    )
    preview.image_key, preview.image_width, preview.image_height = "", None, None
    if preview.found and summary.image_url:
        _fill_image(preview, summary.image_url)


def _fill_image(preview: LinkPreview, image_url: str) -> None:
    """Parley's own copy of the page's image: fetched by the same rules, checked to be the raster image its
    bytes say it is, and re-encoded as a WebP thumbnail (nothing of the original's bytes reaches a client).
    Anything else: no image."""
    try:
        image = fetcher.fetch(image_url, accept=IMAGE_TYPES, max_bytes=settings.PREVIEW_MAX_IMAGE_BYTES)
        sniffed = content.sniff_content_type(image.body[: content.HEAD_BYTES])
        _, thumbnail = content.render_thumbnail(io.BytesIO(image.body), sniffed)
    except (fetcher.FetchRefused, ValueError) as refusal:
        logger.info("link preview image refused", extra={"host": _host(image_url), "reason": str(refusal)})
        return
    thumbnail_size = thumbnail and content.image_size(thumbnail, content.THUMBNAIL_TYPE)
    if not thumbnail or not thumbnail_size:  # too many pixels to decode
        return
    preview.image_key = file_storage.save_file(f"previews/{uuid4().hex}.webp", io.BytesIO(thumbnail))
    preview.image_width, preview.image_height = thumbnail_size


def preview_payload(preview: LinkPreview) -> LinkPreviewPayload:
    image: PreviewImagePayload | None = None
    if preview.image_key and preview.image_width and preview.image_height:
        image = {
            "url": reverse("previews-image", kwargs={"preview_id": preview.id}),
            "width": preview.image_width,
            "height": preview.image_height,
        }
    return {
        "url": preview.url,
        "title": preview.title,
        "description": preview.description,
        "site_name": preview.site_name,
        "image": image,
    }
