"""Writes to messages once they exist: edits, deletions, reactions and forwards (the send itself is
messaging.delivery.send, and `message_post` its synchronous front for REST, webhooks and forwards)."""

from datetime import UTC, datetime
from functools import partial
from typing import Any, cast
from uuid import UUID

from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts import selectors as account_selectors
from accounts.models import User
from core.errors import Refused
from core.text import has_visible
from files.events import AttachmentPayload
from files.services import files_delete_unattached
from messaging import events, selectors
from messaging.delivery.eventlog import rewrite_logged
from messaging.delivery.send import message_send, refuse_if_elsewhere
from messaging.events import ForwardPayload, LinkPreviewPayload, MessagePayload
from messaging.models import Conversation, ConversationEvent, Mention, Message, MessageRevision, Pin, Reaction
from messaging.services.eventlog import event_record
from messaging.services.mentions import mentions_record
from messaging.services.threads import threads_refresh
from messaging.signals import message_deleted, message_edited, message_files_held
from realtime.frames import to_json

Kind = ConversationEvent.Kind

BLOCKED = "Messages can't be delivered in this conversation: one of you has blocked the other."

# What a send answers with: the stored message as it is now, or the message just sent, not stored yet.
SentMessage = Message | MessagePayload


def message_post(
    *,
    sender: User,
    conversation_id: int,
    body: str,
    client_id: UUID,
    reply_to: UUID | None = None,
    thread_root: UUID | None = None,
    attachment_ids: list[UUID] | None = None,
    attachments: list[AttachmentPayload] | None = None,
    forwarded_from: ForwardPayload | None = None,
) -> SentMessage:
    """Send from synchronous code (REST, webhooks, forwards); the sender's membership is already checked, and
    so are `attachments` (message_send's). Raises Refused. A retry of a stored message answers with it as it
    is now, even once Redis forgot the client_id (a restart, expiry) and after an edit or a deletion, which
    the journal's copy would not show."""
    account_selectors.user_check_may_post(sender)
    stored = selectors.message_stored_by_client_id(sender=sender, client_id=client_id)
    if stored is not None:
        refuse_if_elsewhere(stored.conversation_id, conversation_id)
        return stored
    _refuse_if_blocked(selectors.conversation_get_for_user(user=sender, conversation_id=conversation_id))
    # Resolved here, on this thread, rather than by message_send on the database thread.
    mentions = selectors.mentions_resolve(sender_id=sender.pk, conversation_id=conversation_id, body=body)
    message, _ = async_to_sync(message_send)(
        sender=events.sender_payload(sender),
        conversation_id=conversation_id,
        body=body,
        client_id=client_id,
        reply_to=reply_to,
        thread_root=thread_root,
        attachment_ids=attachment_ids,
        attachments=attachments,
        forwarded_from=forwarded_from,
        mentions=mentions,
    )
    return message


def message_forward(*, user: User, message_id: UUID, conversation_id: int, client_id: UUID) -> SentMessage:
    """Send a copy of a message the user may see, with its files, into another conversation of theirs,
    naming where it came from; through the normal send path, so the same client_id again returns the same
    forward. NotFound for a message or conversation the user may not see; Refused as message_post."""
    original = selectors.message_to_forward(user=user, message_id=message_id)
    selectors.membership_get(user=user, conversation_id=conversation_id)
    return message_post(
        sender=user, conversation_id=conversation_id, client_id=client_id, **events.forward_copy(original)
    )


FORWARD_NOT_EDITABLE = (
    "A forwarded message cannot be edited: it shows the original's words, under its author's name."
)


def _lock(message_id: UUID) -> None:
    """Lock the message's row (if there is one) before it is read, so that a change committed meanwhile (a
    moderator's removal, a delete) is seen, then waited for, and not written over: an edit read and saved
    unlocked gave a removed message its words back."""
    list(Message.objects.select_for_update().filter(pk=message_id).values_list("pk", flat=True))


@transaction.atomic
def message_edit(*, user: User, message_id: UUID, body: str) -> Message:
    """Edit one's own message; the same body again changes nothing (a retried edit is not a second one)."""
    _lock(message_id)
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    if message.sender_id != user.pk:
        raise PermissionDenied("Only the sender can edit a message.")
    if message.is_deleted:
        raise ValidationError({"message": "The message was deleted."})
    if message.forwarded_from is not None:  # it shows its original's words, under its author's name
        raise ValidationError({"message": FORWARD_NOT_EDITABLE})
    _refuse_if_blocked(message.conversation)
    new_body = _clean_body(body)
    if new_body == message.body:
        return message
    # An edit may mention others, or use @all/@here only where the sender may (else Refused, nothing changes).
    mentions = selectors.mentions_resolve(
        sender_id=user.pk, conversation_id=message.conversation_id, body=new_body
    )
    MessageRevision.objects.create(message=message, body=message.body, editor=user)  # for moderators
    message.body = new_body
    message.edited_at = datetime.now(tz=UTC)
    # A preview stays only while its URL does: an edit never shows a link the body no longer has.
    message.previews = [p for p in message.previews if p["url"] in new_body]
    message.mentions = mentions["mentions"]
    message.mentions_here = mentions["mentions_here"]
    message.mentions_all = mentions["mentions_all"]
    message.save(update_fields=["body", "edited_at", "previews", "mentions", "mentions_here", "mentions_all"])
    Mention.objects.filter(message=message).delete()
    stored = {"id": message.pk, "conversation": message.conversation_id, "seq": message.seq}
    mentions_record(messages=[{**stored, "sender": {"id": user.pk}, **mentions}])
    _record_change(message, Kind.MESSAGE_UPDATED)
    message_edited.send(sender=Message, message_id=message.id, body=new_body)
    return message


@transaction.atomic
def message_previews_set(*, message_id: UUID, body: str, previews: list[LinkPreviewPayload]) -> bool:
    """Show the link previews made from `body` under the message, for every member, live and on sync.
    Nothing changes if the message was deleted or edited since (its body is no longer `body`), or already
    shows them. Returns whether it changed."""
    message = Message.objects.select_for_update().filter(pk=message_id).select_related("conversation").first()
    if message is None or message.is_deleted or message.body != body or message.previews == previews:
        return False
    message.previews = previews
    message.save(update_fields=["previews"])
    _record_change(message, Kind.MESSAGE_UPDATED)
    return True


@transaction.atomic
def message_delete(*, user: User, message_id: UUID) -> Message:
    _lock(message_id)  # a removal committed meanwhile is seen: the message is not deleted twice
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    if message.sender_id != user.pk:
        membership = selectors.membership_get(user=user, conversation_id=message.conversation_id)
        if not membership.can_manage:
            raise PermissionDenied("Only the sender or the conversation's owners and admins can delete.")
    return message_soft_delete(message=message)


@transaction.atomic
def message_soft_delete(*, message: Message, by_moderator: bool = False) -> Message:
    """Remove a message's content for everyone, live and in every replay; its files with it, unless another
    message that is not deleted carries them or moderators hold them (message_files_release)."""
    if message.is_deleted:
        return message
    message.deleted_at = datetime.now(tz=UTC)
    message.body = message.attachment_names = ""
    message.save(update_fields=["deleted_at", "body", "attachment_names"])
    message.reactions.all().delete()
    Pin.objects.filter(message=message).delete()  # the message.deleted event tells members it is unpinned
    _record_change(message, Kind.MESSAGE_DELETED, data={"by_moderator": by_moderator})
    if message.thread_root_id is not None:  # the thread's summary no longer counts it
        threads_refresh(root_ids=[message.thread_root_id])
    message_deleted.send(sender=Message, message_id=message.pk)  # e.g. its pushes' copies of its words
    message_files_release(message_id=message.pk)
    return message


def message_files_release(*, message_id: UUID) -> int:
    """Delete the files of a deleted message that no message that is not deleted carries (rows now, so nobody
    can download them, objects once committed), unless an app above holds them for this message or another
    deleted one carrying them too (messaging.signals.message_files_held: a reported original, when its last
    forward is deleted). Returns how many; a message not deleted keeps its files."""
    links = Message.attachments.through.objects
    return attachments_release(
        file_ids=set(links.filter(message_id=message_id).values_list("storedfile_id", flat=True))
    )


def attachments_release(*, file_ids: set[UUID]) -> int:
    """Of these files, delete those no message that is not deleted carries (message_files_release's, for the
    files of messages deleted or purged), unless an app above holds them for a deleted message carrying them
    (messaging.signals.message_files_held, asked once). Returns how many."""
    if not file_ids:
        return 0
    file_ids = set(file_ids)  # the caller's stays as it is
    links = Message.attachments.through.objects
    carried = links.filter(storedfile_id__in=file_ids, message__deleted_at__isnull=False)
    carriers: dict[UUID, set[UUID]] = {}
    for carrier_id, file_id in carried.values_list("message_id", "storedfile_id"):
        carriers.setdefault(carrier_id, set()).add(file_id)
    answers = message_files_held.send(sender=Message, message_ids=list(carriers))
    held: set[UUID] = set().union(*(cast(set[UUID], held_ids) for _, held_ids in answers))
    for carrier_id in held:
        file_ids -= carriers[carrier_id]
    return files_delete_unattached(file_ids=list(file_ids)) if file_ids else 0


def _record_change(
    message: Message, kind: ConversationEvent.Kind, data: dict[str, Any] | None = None
) -> None:
    """The change is an event of the conversation; once committed, the journal's copies of the message's
    earlier frames are rewritten to show it as it is now, so that no replay or retry shows what was edited
    or removed."""
    event_record(conversation=message.conversation, kind=kind, message=message, data=data)
    transaction.on_commit(partial(message_rewrite_logged, message))


def message_rewrite_logged(message: Message) -> None:
    """The journal's copies of a message's frames (its message.new, its edits, its pins) show it as it is
    now."""
    message_frame = to_json(events.message_new(events.message_payload(message)))
    showing_it = ConversationEvent.objects.filter(message=message, kind__in=(Kind.MESSAGE_UPDATED, Kind.PIN))
    frames = [(message.seq, message_frame)]
    for event in showing_it:
        event.message = message  # as it is now
        frames.append((event.seq, to_json(events.event_frame(event))))
    rewrite_logged(
        message.conversation_id,
        frames,
        sender_id=message.sender_id,
        client_id=str(message.client_id),
        message_frame=message_frame,
    )


def _clean_body(body: str) -> str:
    if not has_visible(body):
        raise ValidationError({"body": "The message cannot be empty."})
    if len(body) > Message.BODY_MAX_LENGTH:
        raise ValidationError({"body": f"At most {Message.BODY_MAX_LENGTH} characters."})
    return body


@transaction.atomic
def reaction_add(*, user: User, message_id: UUID, emoji: str) -> Reaction:
    _lock(message_id)  # a removal committed meanwhile is seen: no reaction is left on a removed message
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    if message.is_deleted:
        raise ValidationError({"message": "The message was deleted."})
    _refuse_if_blocked(message.conversation)
    reaction, created = Reaction.objects.get_or_create(message=message, user=user, emoji=_clean_emoji(emoji))
    if created:
        _record_reaction(message, user, reaction.emoji, state="added")
    return reaction


@transaction.atomic
def reaction_remove(*, user: User, message_id: UUID, emoji: str) -> None:
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    deleted, _ = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
    if deleted:
        _record_reaction(message, user, emoji, state="removed")


def _refuse_if_blocked(conversation: Conversation) -> None:
    """A blocked direct conversation carries nothing new either way: no message, and no edit or reaction
    reaching the other person (removing one's reaction, or deleting one's message, still works)."""
    if selectors.conversation_is_blocked(conversation=conversation):
        raise Refused("blocked", BLOCKED)


def _record_reaction(message: Message, user: User, emoji: str, *, state: str) -> None:
    data = {"emoji": emoji, "state": state}
    event_record(
        conversation=message.conversation, kind=Kind.REACTION, message=message, user_id=user.pk, data=data
    )


def _clean_emoji(emoji: str) -> str:
    emoji = emoji.strip()
    if not emoji or len(emoji) > Reaction.EMOJI_MAX_LENGTH or any(c.isspace() for c in emoji):
        raise ValidationError({"emoji": "One emoji, at most 32 characters."})
    return emoji
