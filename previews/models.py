import uuid

from django.db import models


class LinkPreview(models.Model):
    """One URL's preview as last fetched — or its failure (`found` False), so a dead or refused link is not
    fetched again for every message naming it. Reused until PREVIEW_CACHE_SECONDS (or
    PREVIEW_FAILURE_CACHE_SECONDS) after `fetched_at`, kept while a message shows it or for PREVIEW_KEEP_DAYS.
    Its id names its image in Parley's URL."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url_hash = models.CharField(max_length=64, unique=True, editable=False)  # SHA-256 of the URL
    url = models.TextField()
    fetched_at = models.DateTimeField()
    found = models.BooleanField()
    title = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=400, blank=True)
    site_name = models.CharField(max_length=100, blank=True)
    # Parley's re-encoded copy of the page's image, in the files storage; empty: no image.
    image_key = models.CharField(max_length=255, blank=True)
    image_width = models.PositiveIntegerField(null=True, blank=True)
    image_height = models.PositiveIntegerField(null=True, blank=True)
    # The messages that show it: a stale preview is removed only once none of them is left.
    messages = models.ManyToManyField("messaging.Message", blank=True, related_name="+")

    def __str__(self) -> str:
        return self.url
