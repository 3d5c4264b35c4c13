"""A person's messages in their data export and their erasure (accounts.signals, heard by
messaging.receivers)."""

from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from django.db import transaction
from django.db.models import F

from accounts.models import User
from accounts.services.privacy import ERASED_NAME
from messaging import events
from messaging.delivery.journal import LOG_SIZE
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
from messaging.services.messages import message_rewrite_logged
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


FORWARDS_BATCH = 1000


def _unname_forwards_of(user: User) -> list[Message]:
    """Forwards of the user's messages, and forwards of those, name "Deleted user" as the author; returns
    them. Their own forwards name someone else, and chains from those are left as they are."""
    renamed: list[Message] = []
    originals = [
        str(pk)
        for pk in Message.objects.filter(sender=user, forwarded_from__isnull=True).values_list(
            "pk", flat=True
        )
    ]
    while originals:
        batch, originals = originals[:FORWARDS_BATCH], originals[FORWARDS_BATCH:]
        forwards = list(Message.objects.filter(forwarded_from__message__in=batch))
        for forward in forwards:
            forward.forwarded_from = {**(forward.forwarded_from or {}), "sender_name": ERASED_NAME}
        Message.objects.bulk_update(forwards, ["forwarded_from"])
        renamed += forwards
        originals += [str(forward.pk) for forward in forwards]  # forwarded onwards: the same author
    return renamed


def _rewrite_logged_forwards(forward_ids: list[UUID]) -> None:
    forwards = Message.objects.filter(pk__in=forward_ids).select_related("sender", "conversation")
    for forward in forwards.prefetch_related("attachments"):
        message_rewrite_logged(forward)


def _announce_erasure(user: User, *, kept: bool, forwarded_to: set[int]) -> None:
    """One `user.erased` event in each conversation the user is in or wrote in, or where their messages were
    forwarded to (docs/protocol.md): members' open pages name them "Deleted user", on the forwards too, and
    blank their messages, and a replay from before it does the same — one frame per conversation, however
    many messages. Before they leave, so that members hear it first."""
    conversation_ids = set(Membership.objects.filter(user=user).values_list("conversation_id", flat=True))
    conversation_ids.update(forwarded_to)
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
    Reaction.objects.filter(user=user).delete()
    MessageRevision.objects.filter(message__sender=user).delete()
    ThreadFollow.objects.filter(user=user).delete()
    if not keep:
        Reaction.objects.filter(message__sender=user).delete()
        Pin.objects.filter(message__sender=user).delete()  # an emptied message is a deleted one: unpinned
        Message.attachments.through.objects.filter(message__sender=user).delete()
        replies = Message.objects.filter(sender=user, thread_root__isnull=False)
        replied_in = set(replies.values_list("thread_root_id", flat=True))
        Message.objects.filter(sender=user, deleted_at__isnull=True).update(
            body="", deleted_at=datetime.now(tz=UTC)
        )
        threads_refresh(root_ids=replied_in)  # their emptied replies no longer count
    forwards = _unname_forwards_of(user)
    forward_ids = [forward.pk for forward in forwards]
    _announce_erasure(user, kept=keep, forwarded_to={forward.conversation_id for forward in forwards})
    _leave_shared_conversations(user)
    transaction.on_commit(partial(_rewrite_recent_log, user.pk))
    if forward_ids:
        transaction.on_commit(partial(_rewrite_logged_forwards, forward_ids))
