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


def messages_purge_expired(*, now: datetime | None = None) -> int:
    """Delete every message past its conversation's retention (its own, else the workspace's); returns how
    many. Safe to run twice, or to stop half-way: each batch is a transaction of its own."""
    now = now or datetime.now(tz=UTC)
    deleted = 0
    overrides = Conversation.objects.filter(retention_days__isnull=False).values_list("pk", "retention_days")
    for conversation_id, days in overrides:
        cutoff = now - timedelta(days=days or 0)
        deleted += _delete_all(Message.objects.filter(conversation_id=conversation_id, created_at__lt=cutoff))
    if (days := RetentionPolicy.get_solo().message_retention_days) is not None:
        cutoff = now - timedelta(days=days)
        deleted += _delete_all(
            Message.objects.filter(conversation__retention_days__isnull=True, created_at__lt=cutoff)
        )
    return deleted
