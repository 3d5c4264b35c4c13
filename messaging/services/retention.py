"""Message retention (the retention policy, with each conversation's own override): messages older than the
limit are deleted, with the files only they carried, by a periodic task (messaging.tasks)."""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet

from files.services import files_delete_unattached
from messaging.delivery.journal import forget
from messaging.models import Conversation, ConversationEvent, Message, RetentionPolicy

BATCH = 1000


def _delete_batch(messages: QuerySet[Message]) -> int:
    """Delete up to BATCH of these messages, with their files and events, and drop them from the log."""
    with transaction.atomic():
        batch = list(messages.order_by("created_at").values_list("pk", "conversation_id", "seq")[:BATCH])
        ids = [pk for pk, _, _ in batch]
        logged = [(conversation, seq) for _, conversation, seq in batch]
        logged += ConversationEvent.objects.filter(message_id__in=ids).values_list("conversation_id", "seq")
        file_ids = list(
            Message.attachments.through.objects.filter(message_id__in=ids).values_list(
                "storedfile_id", flat=True
            )
        )
        Message.objects.filter(pk__in=ids).delete()  # reactions, revisions, events, reports, pushes go too
        files_delete_unattached(file_ids=file_ids)
        transaction.on_commit(lambda: forget(logged))
    return len(batch)


def _delete_all(messages: QuerySet[Message]) -> int:
    deleted = 0
    while count := _delete_batch(messages):
        deleted += count
    return deleted


def _cutoff(now: datetime, days: int) -> datetime | None:
    """When messages kept `days` days were sent, at the latest; None when that is before the calendar's first
    day (nothing is that old): the admin takes any whole number of days (up to PostgreSQL's integer), and
    "keep for a million days" means keep everything, not a purge that fails for every conversation."""
    try:
        return now - timedelta(days=days)
    except OverflowError:
        return None


def messages_purge_expired(*, now: datetime | None = None) -> int:
    """Delete every message past its conversation's retention (its own, else the workspace's); returns how
    many. Safe to run twice, or to stop half-way: each batch is a transaction of its own."""
    now = now or datetime.now(tz=UTC)
    deleted = 0
    overrides = Conversation.objects.filter(retention_days__isnull=False).values_list("pk", "retention_days")
    for conversation_id, days in overrides:
        if (cutoff := _cutoff(now, days or 0)) is not None:
            deleted += _delete_all(
                Message.objects.filter(conversation_id=conversation_id, created_at__lt=cutoff)
            )
    days = RetentionPolicy.get_solo().message_retention_days
    if days is not None and (cutoff := _cutoff(now, days)) is not None:
        deleted += _delete_all(
            Message.objects.filter(conversation__retention_days__isnull=True, created_at__lt=cutoff)
        )
    return deleted
