from django.conf import settings
from django.db import models


class PushSubscription(models.Model):
    """A browser's Web Push subscription. The endpoint is a capability held by one browser profile,
    so it belongs to whoever registered it last."""

    ENDPOINT_MAX_LENGTH = 2048

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=ENDPOINT_MAX_LENGTH, unique=True)
    p256dh = models.CharField(max_length=100)  # the browser's ECDH public key, base64url
    auth = models.CharField(max_length=50)  # the browser's 16-byte auth secret, base64url
    device_name = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.device_name or 'subscription'} of {self.user_id}"

    @property
    def subscription_info(self) -> dict[str, object]:
        """The PushSubscription JSON shape pywebpush expects."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class NotificationLevel(models.TextChoices):
    ALL = "all"
    MENTIONS = "mentions"
    NONE = "none"


class NotificationPreferences(models.Model):
    """Which messages a user is pushed, per conversation kind. No row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preferences",
    )
    direct = models.CharField(max_length=8, choices=NotificationLevel.choices, default=NotificationLevel.ALL)
    group = models.CharField(max_length=8, choices=NotificationLevel.choices, default=NotificationLevel.ALL)
    channel = models.CharField(
        max_length=8, choices=NotificationLevel.choices, default=NotificationLevel.MENTIONS
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notifications of {self.user_id}"

    def level_for(self, kind: str) -> str:
        return str(getattr(self, kind))


class PushDecision(models.Model):
    """The record that a message's recipients were decided; one per message, so the decision is made
    once even when the deciding task runs twice."""

    message = models.OneToOneField(
        "messaging.Message", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"push decision for {self.message_id}"


class PushDelivery(models.Model):
    """One push of one message to one subscription; its status makes delivery idempotent."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    message = models.ForeignKey("messaging.Message", on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(PushSubscription, on_delete=models.CASCADE, related_name="deliveries")
    payload = models.JSONField()
    urgency = models.CharField(max_length=8, default="normal")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "subscription"], name="one_push_per_subscription")
        ]
        verbose_name_plural = "push deliveries"

    def __str__(self) -> str:
        return f"{self.message_id} → {self.subscription_id} ({self.status})"
