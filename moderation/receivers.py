"""What moderation does when accounts erases a person (accounts.signals.user_erasing): nothing it keeps names
them afterwards; and when messaging deletes a reported message (messaging.signals.message_files_held), or
retention would (messaging.signals.messages_held): the message and its files are kept for the moderators while
a report of it is open."""

from typing import Any
from uuid import UUID

from django.dispatch import receiver

from accounts.models import User
from accounts.signals import user_erasing
from messaging.signals import message_files_held, messages_held
from moderation.models import Report
from moderation.services import moderation_data_erase


@receiver(user_erasing)
def erase_moderation_data(sender: Any, user: User, **kwargs: Any) -> None:
    moderation_data_erase(user=user)


@receiver([message_files_held, messages_held])
def hold_reported_messages(sender: Any, message_ids: list[UUID], **kwargs: Any) -> set[UUID]:
    """Deleted messages' files stay, for the moderators only, and messages past their retention stay whole,
    until their open reports are resolved (moderation.services._resolve_reports lets the files go, retention's
    next run the messages): of `message_ids`, those reported (one query)."""
    open_reports = Report.objects.filter(message_id__in=message_ids, status=Report.Status.OPEN)
    return set(open_reports.values_list("message_id", flat=True))
