from django.conf import settings
from django.db import models

from messaging.models import Conversation, Message


def message_label(message: Message) -> str:
    """A message as moderators name it: whose, and where ("grace's message in Engine room", "grace's direct
    message"), not by its conversation's id and seq. (moderation.services.moderation_data_erase knows this
    shape.)"""
    sender, conversation = message.sender.get_username(), message.conversation
    if conversation.kind == Conversation.Kind.DIRECT:
        return f"{sender}'s direct message"
    return f"{sender}'s message in {conversation}"


class Report(models.Model):
    """A member's report of a message, worked through by moderators in the admin."""

    REASON_MAX_LENGTH = 1000

    class Status(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"

    class Resolution(models.TextChoices):
        REMOVED = "removed", "Message removed"
        SUSPENDED = "suspended", "Sender suspended"
        DISMISSED = "dismissed", "Dismissed"

    message = models.ForeignKey("messaging.Message", on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(max_length=REASON_MAX_LENGTH)
    # The body when it was reported: what the moderator judges, even if it is edited or deleted later.
    message_body = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="one_report_per_user_and_message")
        ]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        """ "Report by alan of grace's message in Engine room" (moderation_data_erase knows this shape)."""
        return f"Report by {self.reporter.get_username()} of {message_label(self.message)}"


class AuditEntry(models.Model):
    """One moderator action: who, what, on which target, when and why. Written only by moderation.services."""

    class Action(models.TextChoices):
        MESSAGE_REMOVED = "message_removed", "removed a message"
        USER_SUSPENDED = "user_suspended", "suspended a user"
        USER_REINSTATED = "user_reinstated", "reinstated a user"
        REPORT_DISMISSED = "report_dismissed", "dismissed a report"
        OBJECT_CHANGED = "object_changed", "changed an object"
        TWO_FACTOR_RESET = "two_factor_reset", "removed a user's two-factor authentication"
        REPORT_CLOSED = "report_closed", "closed a report (already done)"
        ACCESS_REVOKED = "access_revoked", "revoked access (API token, session, invitation or webhook)"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150)  # kept if the account goes
    action = models.CharField(max_length=24, choices=Action.choices)
    target_type = models.CharField(max_length=32)  # "message", "user", "report", …
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        # What was done to one message or person: the messages list's "(removed by a moderator)" asks it for
        # every row of its page, and an erasure renames the entries of the erased person.
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        return f"{self.actor_username} {self.get_action_display()}: {self.target_repr}"
