"""Message retention (the retention policy, with each conversation's own override): messages older than the
limit are deleted, with the files only they carried, by a periodic task (messaging.tasks). A message an app
above holds (moderation: a report of it is open, docs/moderation.md) is kept whole until it lets it go. The
same hourly run releases the files that only deleted messages still carry (deleted_messages_files_release)."""

from datetime import UTC, datetime, timedelta
from typing import cast
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet

from files.selectors import withdrawn_file_ids
from messaging.delivery.journal import forget
from messaging.models import Conversation, ConversationEvent, Message, RetentionPolicy
from messaging.services.messages import attachments_release
from messaging.signals import messages_held

BATCH = 1000

# Where a purge has got to: the (created_at, id) of the last message it looked at.
Cursor = tuple[datetime, UUID]


def _held(message_ids: list[UUID]) -> set[UUID]:
    """Of these messages, those an app above keeps (messaging.signals.messages_held)."""
    answers = messages_held.send(sender=Message, message_ids=message_ids)
    return set().union(*(cast(set[UUID], held_ids) for _, held_ids in answers))


def _after(messages: QuerySet[Message], cursor: Cursor | None) -> QuerySet[Message]:
    if cursor is None:
        return messages
    created_at, pk = cursor
    return messages.filter(Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk))


def _delete_batch(messages: QuerySet[Message], cursor: Cursor | None) -> tuple[int, Cursor | None]:
    """Delete the next BATCH of these messages after `cursor` that nobody holds, with their files and events,
    and drop them from the log. Returns how many, and where the next batch starts (None: no more). The batch
    is locked before the holds are asked, so a report made meanwhile is either seen or waits for the purge."""
    with transaction.atomic():
        page = _after(messages, cursor).order_by("created_at", "pk").select_for_update(of=("self",))
        batch = list(page.values_list("pk", "conversation_id", "seq", "created_at")[:BATCH])
        if not batch:
            return 0, None
        held = _held([pk for pk, _, _, _ in batch])
        batch_end = (batch[-1][3], batch[-1][0])
        batch = [row for row in batch if row[0] not in held]
        ids = [pk for pk, _, _, _ in batch]
        logged = [(conversation, seq) for _, conversation, seq, _ in batch]
        logged += ConversationEvent.objects.filter(message_id__in=ids).values_list("conversation_id", "seq")
        file_ids = set(
            Message.attachments.through.objects.filter(message_id__in=ids).values_list(
                "storedfile_id", flat=True
            )
        )
        Message.objects.filter(pk__in=ids).delete()  # reactions, revisions, events, reports, pushes go too
        attachments_release(file_ids=file_ids)  # unless another message carries them, or they are held
        transaction.on_commit(lambda: forget(logged))
    return len(batch), batch_end


def _delete_all(messages: QuerySet[Message]) -> int:
    deleted, cursor = 0, None
    while True:
        count, cursor = _delete_batch(messages, cursor)
        deleted += count
        if cursor is None:
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


def deleted_messages_files_release(*, batch: int = 500) -> int:
    """Delete the files that only deleted messages still carry, as a deletion does now (attachments_release:
    rows now, objects once committed; a file held for an open report stays): those of messages deleted before
    their files went with them, and any a release missed. A batch of files per transaction, in the order of
    their ids, so held files are passed over, not read again. Returns how many were deleted; once none is
    left, a run deletes nothing."""
    left = withdrawn_file_ids()
    released, after = 0, None
    while file_ids := list((left if after is None else left.filter(pk__gt=after))[:batch]):
        with transaction.atomic():
            released += attachments_release(file_ids=set(file_ids))
        after = file_ids[-1]
    return released
