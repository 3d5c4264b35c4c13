"""A person's messages in their data export and their erasure (accounts.signals, heard by
messaging.receivers)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import F, Max

from accounts.models import User
from accounts.services.privacy import ERASED_NAME
from messaging import events
from messaging.delivery.journal import LOG_SIZE
from messaging.events import MessagePayload, SenderPayload
from messaging.models import (
    Conversation,
    ConversationEvent,
    Membership,
    Message,
    MessageRevision,
    Pin,
    Reaction,
    RetentionPolicy,
    ThreadFollow,
)
from messaging.services.conversations import conversation_leave
from messaging.services.eventlog import event_record_rendered_on_commit
from messaging.services.messages import message_files_release, message_rewrite_logged
from messaging.services.threads import threads_refresh


def _conversation_name(conversation: Conversation, user: User) -> str:
    if conversation.title:
        return conversation.title
    others = [m.user.public_name for m in conversation.memberships.all() if m.user_id != user.pk]
    return f"Direct conversation with {others[0]}" if others else "Direct conversation"


def messages_for_export(*, user: User) -> list[dict[str, object]]:
    """Every message the user sent and did not delete, oldest first, with its conversation's name."""
    messages = (
        Message.objects.filter(sender=user, deleted_at__isnull=True)
        .select_related("conversation")
        .prefetch_related("attachments", "conversation__memberships__user")
        .order_by("created_at", "pk")
    )
    return [
        {
            "conversation": {
                "id": m.conversation_id,
                "kind": m.conversation.kind,
                "name": _conversation_name(m.conversation, user),
            },
            "seq": m.seq,
            "sent_at": events.iso(m.created_at),
            "edited_at": events.iso(m.edited_at),
            "body": m.body,
            "attachments": [{"id": str(f.id), "name": f.name} for f in m.attachments.all()],
        }
        for m in messages
    ]


def _leave_shared_conversations(user: User) -> None:
    """Out of every group and channel as by leaving it: an owner hands it on, and their bots and webhooks go
    with them. Direct conversations keep "Deleted user"."""
    memberships = Membership.objects.filter(user=user).exclude(conversation__kind=Conversation.Kind.DIRECT)
    for membership in memberships.select_related("conversation"):
        conversation_leave(membership=membership)


def _rewrite_recent_log(user_id: int) -> None:
    """The journal's copies of the user's recent messages (replays, retries) show them as they are now."""
    # Only the newest events of a conversation are in the log (messaging.delivery.journal).
    recent = Message.objects.filter(sender_id=user_id, seq__gt=F("conversation__last_seq") - LOG_SIZE)
    for message in recent.select_related("sender", "conversation").prefetch_related("attachments"):
        message_rewrite_logged(message)


def _unname_forwards_of(user: User) -> list[Message]:
    """Forwards of the user's words, and forwards of those, name "Deleted user" as their author; returns them.
    Found by the author each names (`forwarded_from.sender_id`, recorded since migration 0018 on every forward
    whose original it could follow), not by the user's own messages: an original purged by retention or gone
    with its conversation leaves its forwards to be found too. Their own forwards of others' words stay."""
    forwards = list(Message.objects.filter(forwarded_from__sender_id=user.pk))
    for forward in forwards:
        forward.forwarded_from = {**(forward.forwarded_from or {}), "sender_name": ERASED_NAME}
    Message.objects.bulk_update(forwards, ["forwarded_from"], batch_size=1000)
    return forwards


def _rewrite_logged(message_ids: list[UUID]) -> None:
    messages = Message.objects.filter(pk__in=message_ids).select_related("sender", "conversation")
    for message in messages.prefetch_related("attachments"):
        message_rewrite_logged(message)


def _announce_erasure(user: User, *, kept: bool, also_in: set[int]) -> None:
    """One `user.erased` event in each conversation the user is in or wrote in, and `also_in` (where they
    reacted, where their words were forwarded to; docs/protocol.md): members' open pages drop their
    reactions, name them "Deleted user", on the forwards too, and blank their messages, and a replay from
    before it does the same — one frame per conversation, however many messages. Before they leave, so that
    members hear it first."""
    conversation_ids = set(Membership.objects.filter(user=user).values_list("conversation_id", flat=True))
    conversation_ids.update(also_in)
    wrote_in = Message.objects.filter(sender=user).order_by().values_list("conversation_id", flat=True)
    conversation_ids.update(wrote_in.distinct())
    for conversation in Conversation.objects.filter(pk__in=conversation_ids).order_by("pk"):
        event_record_rendered_on_commit(
            conversation=conversation,
            kind=ConversationEvent.Kind.USER_ERASED,
            user_id=user.pk,
            data={"messages": "kept" if kept else "deleted"},
        )


def user_messages_erase(*, user: User) -> None:
    """Their reactions and the earlier versions of their messages go; the messages become "Deleted user"'s,
    emptied (the default) or kept, as the retention policy says, and so does their name on forwards of them.
    Inside the erasure's transaction."""
    keep = RetentionPolicy.get_solo().erased_users_messages == RetentionPolicy.ErasedMessages.KEEP
    reacted_in = set(Reaction.objects.filter(user=user).values_list("message__conversation_id", flat=True))
    Reaction.objects.filter(user=user).delete()
    MessageRevision.objects.filter(message__sender=user).delete()
    ThreadFollow.objects.filter(user=user).delete()
    if not keep:
        Reaction.objects.filter(message__sender=user).delete()
        Pin.objects.filter(message__sender=user).delete()  # an emptied message is a deleted one: unpinned
        links = Message.attachments.through.objects.filter(message__sender=user)
        # Their forwards of others' files (their own go with the erasure): released as any deleted message's.
        forwards_with_files = set(links.exclude(storedfile__owner=user).values_list("message_id", flat=True))
        replies = Message.objects.filter(sender=user, thread_root__isnull=False)
        replied_in = set(replies.values_list("thread_root_id", flat=True))
        Message.objects.filter(sender=user, deleted_at__isnull=True).update(
            body="", deleted_at=datetime.now(tz=UTC)
        )
        for message_id in forwards_with_files:
            message_files_release(message_id=message_id)
        links.delete()
        threads_refresh(root_ids=replied_in)  # their emptied replies no longer count
    forwards = _unname_forwards_of(user)
    forward_ids = [forward.pk for forward in forwards]
    forwarded_to = {forward.conversation_id for forward in forwards}
    _announce_erasure(user, kept=keep, also_in=reacted_in | forwarded_to)
    _leave_shared_conversations(user)
    transaction.on_commit(partial(_rewrite_recent_log, user.pk))
    if forward_ids:
        transaction.on_commit(partial(_rewrite_logged, forward_ids))


# --- messages acknowledged before their author's erasure, stored after it (the persistence task)


@dataclass(frozen=True)
class LateErasures:
    """The erased accounts among a batch's senders and forwarded authors, by id (as "Deleted user" now), and
    the retention policy: what erasure would have left of their messages had they been stored before it."""

    accounts: dict[int, SenderPayload]
    keep: bool

    def as_left(self, message: MessagePayload) -> MessagePayload:
        """The message as erasure leaves a stored one (user_messages_erase): theirs named by "Deleted user"
        and, unless kept, emptied (no text, files or mentions: a deleted message); a forward of their words
        naming "Deleted user" as their author. Anyone else's message as it is."""
        forward = message.get("forwarded_from")
        if forward and forward.get("sender_id") in self.accounts:
            message = {**message, "forwarded_from": {**forward, "sender_name": ERASED_NAME}}
        if (sender := self.accounts.get(message["sender"]["id"])) is None:
            return message
        message = {**message, "sender": sender}
        if self.keep:
            return message
        return {
            **message,
            **events.NO_MENTIONS,
            "body": "",
            "deleted": True,
            "attachments": [],
        }

    def touches(self, message: Mapping[str, Any]) -> set[int]:
        """The erased accounts whose words `message` carries: its sender's, or a forward's author's."""
        forward = message.get("forwarded_from") or {}
        return {message["sender"]["id"], forward.get("sender_id")} & self.accounts.keys()


# In SQL: Django's select_for_update has no FOR KEY SHARE, and FOR NO KEY UPDATE would make every batch of
# one sender wait for the one before. Rows in id order, as every locker of users in a batch takes them.
AUTHORS_SQL = "SELECT id, username, display_name, erased_at FROM {user} WHERE id IN ({ids}) ORDER BY id{lock}"


def late_erasures(*, messages: Sequence[Mapping[str, Any]]) -> LateErasures | None:
    """Which authors of these messages (senders, forwarded authors) are erased, or None: one query for the
    batch. Their rows are locked FOR KEY SHARE first, as the messages' foreign keys lock them anyway, so that
    an erasure under way (user_erase locks the row FOR UPDATE) is waited for and seen, and one that starts
    after waits for this transaction and then erases what it stored."""
    ids = {m["sender"]["id"] for m in messages}
    ids.update(f["sender_id"] for m in messages if (f := m.get("forwarded_from")) and f.get("sender_id"))
    if not ids:
        return None
    sql = AUTHORS_SQL.format(
        user=User._meta.db_table,
        ids=", ".join(["%s"] * len(ids)),
        # SQLite has no row locks (one transaction writes at a time); PostgreSQL's feature tells them apart
        lock=" FOR KEY SHARE" if connection.features.has_select_for_no_key_update else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, sorted(ids))
        erased = [row for row in cursor.fetchall() if row[3] is not None]
    if not erased:
        return None
    keep = RetentionPolicy.get_solo().erased_users_messages == RetentionPolicy.ErasedMessages.KEEP
    accounts: dict[int, SenderPayload] = {
        pk: {"id": pk, "username": username, "display_name": display_name}
        for pk, username, display_name, _ in erased
    }
    return LateErasures(accounts=accounts, keep=keep)


def late_erasures_honour(*, erasures: LateErasures, stored: list[MessagePayload]) -> None:
    """Newly stored messages (as_left) carrying an erased person's words: the emptied ones are deleted, the
    recent log's copies (replays, retries) show them as stored, once committed, and each conversation that
    heard no `user.erased` of theirs since such a message hears one now, so that open pages show what a
    reload shows: those of a send acknowledged after the erasure was announced, and forwards into a
    conversation where the erasure was not announced (the forward was not stored yet)."""
    touched = [(m, erasures.touches(m)) for m in stored]
    touched = [(m, accounts) for m, accounts in touched if accounts]
    if not touched:
        return
    emptied = [m["id"] for m, _ in touched if m["deleted"]]
    Message.objects.filter(pk__in=emptied, deleted_at__isnull=True).update(deleted_at=datetime.now(tz=UTC))
    transaction.on_commit(partial(_rewrite_logged, [UUID(m["id"]) for m, _ in touched]))
    newest: dict[tuple[int, int], int] = {}
    for message, accounts in touched:
        for account in accounts:
            key = (message["conversation"], account)
            newest[key] = max(newest.get(key, 0), message["seq"])
    _announce_late(newest, kept=erasures.keep)


def _announce_late(newest: dict[tuple[int, int], int], *, kept: bool) -> None:
    """A `user.erased` where the newest such message of an erased account came after its last one."""
    announced = (
        ConversationEvent.objects.filter(
            kind=ConversationEvent.Kind.USER_ERASED,
            conversation_id__in={conversation for conversation, _ in newest},
            user_id__in={account for _, account in newest},
        )
        .values_list("conversation_id", "user_id")
        .annotate(seq=Max("seq"))
        .order_by()
    )
    last = {(conversation, account): seq for conversation, account, seq in announced}
    late = sorted(key for key, seq in newest.items() if seq > last.get(key, 0))
    conversations = Conversation.objects.in_bulk({conversation for conversation, _ in late})
    for conversation_id, account in late:
        event_record_rendered_on_commit(
            conversation=conversations[conversation_id],
            kind=ConversationEvent.Kind.USER_ERASED,
            user_id=account,
            data={"messages": "kept" if kept else "deleted"},
        )
