import uuid

from django.conf import settings
from django.db import models


class StoredFile(models.Model):
    """An uploaded file. The storage key is random; the original name is only for display."""

    class Status(models.TextChoices):
        PENDING = "pending"
        READY = "ready"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127, blank=True)
    size = models.BigIntegerField()
    storage_key = models.CharField(max_length=255, unique=True, editable=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    thumbnail_key = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="storedfile_housekeeping")]

    def __str__(self) -> str:
        return self.name
