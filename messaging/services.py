"""Every write to conversations and messages except the send itself (messaging.delivery.send). Each service
validates, writes in one transaction and broadcasts after commit."""

from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, When

from accounts.models import User
from chatproject.db import insert_new
from messaging import events, fanout, selectors
from messaging.delivery.journal import initialise_counter, newest_seq, remember_changed
from messaging.models import Conversation, Membership, Message, MessageRevision, Reaction

GROUP_MAX_MEMBERS = 500
Role = Membership.Role
Kind = Conversation.Kind


def _active_users(user_ids: list[int]) -> list[User]:
    users = list(User.objects.filter(pk__in=set(user_ids), is_active=True))
    if len(users) != len(set(user_ids)):
        raise ValidationError({"members": "Unknown user."})
    return users


def _announce_membership(conversation: Conversation, user_id: int, *, added: bool) -> None:
    payload = events.membership(
        conversation=events.conversation_summary(conversation),
        user_id=user_id,
        state="added" if added else "removed",
    )
    fanout.after_commit(fanout.membership_changed, user_id, conversation.pk, payload, added=added)
    # The user's own sockets hear of it once, above, whether or not they already follow the conversation.
    fanout.after_commit(fanout.to_conversation, conversation.pk, payload, exclude_user=user_id)


@transaction.atomic
def conversation_create(
    *, creator: User, kind: str, member_ids: list[int], title: str = "", is_public: bool = False
) -> tuple[Conversation, bool]:
    """Create a conversation; a direct one that exists already is returned as it is. Returns (it, created)."""
    others = _active_users([uid for uid in member_ids if uid != creator.pk])
    if kind == Kind.DIRECT:
        if len(others) != 1 or title or is_public:
            raise ValidationError(
                {"members": "A direct conversation has exactly one other member and no title."}
            )
        return _direct_get_or_create(creator, others[0])
    if not title.strip():
        raise ValidationError({"title": "A group or channel needs a title."})
    if is_public and kind != Kind.CHANNEL:
        raise ValidationError({"is_public": "Only channels can be public."})
    if len(others) + 1 > GROUP_MAX_MEMBERS:
        raise ValidationError({"members": f"At most {GROUP_MAX_MEMBERS} members."})
    conversation = Conversation.objects.create(
        kind=kind, title=title.strip(), is_public=is_public, created_by=creator
    )
    Membership.objects.create(user=creator, conversation=conversation, role=Role.OWNER)
    Membership.objects.bulk_create([Membership(user=u, conversation=conversation) for u in others])
    _after_create(conversation, [creator.pk, *[u.pk for u in others]])
    return conversation, True


def _direct_get_or_create(creator: User, other: User) -> tuple[Conversation, bool]:
    key = ":".join(str(uid) for uid in sorted((creator.pk, other.pk)))
    existing = Conversation.objects.filter(direct_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(kind=Kind.DIRECT, direct_key=key, created_by=creator)
    except IntegrityError:  # the other person created it at the same moment
        return Conversation.objects.get(direct_key=key), False
    Membership.objects.bulk_create(
        [
            Membership(user=creator, conversation=conversation, role=Role.MEMBER),
            Membership(user=other, conversation=conversation, role=Role.MEMBER),
        ]
    )
    _after_create(conversation, [creator.pk, other.pk])
    return conversation, True


def _after_create(conversation: Conversation, member_ids: list[int]) -> None:
    transaction.on_commit(lambda: initialise_counter(conversation.pk))
    for user_id in member_ids:
        payload = events.membership(
            conversation=events.conversation_summary(conversation), user_id=user_id, state="added"
        )
        fanout.after_commit(fanout.membership_changed, user_id, conversation.pk, payload, added=True)


def conversation_update(
    *, membership: Membership, title: str | None = None, muted: bool | None = None
) -> Conversation:
    conversation = membership.conversation
    if title is not None:
        if conversation.kind == Kind.DIRECT:
            raise ValidationError({"title": "A direct conversation has no title."})
        if not membership.can_manage:
            raise PermissionDenied("Only owners and admins can rename.")
        if not title.strip():
            raise ValidationError({"title": "The title cannot be empty."})
        conversation.title = title.strip()
        conversation.save(update_fields=["title"])
    if muted is not None:
        membership.muted = muted
        membership.save(update_fields=["muted"])
    return conversation


@transaction.atomic
def member_add(*, actor: Membership, user_id: int) -> Membership:
    conversation = actor.conversation
    if conversation.kind == Kind.DIRECT:
        raise ValidationError({"user": "A direct conversation has exactly two members."})
    if not actor.can_manage:
        raise PermissionDenied("Only owners and admins can add members.")
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ValidationError({"user": "Unknown user."})
    existing = Membership.objects.filter(user=user, conversation=conversation).first()
    if existing is not None:
        return existing
    if conversation.kind == Kind.GROUP and conversation.memberships.count() >= GROUP_MAX_MEMBERS:
        raise ValidationError({"user": f"At most {GROUP_MAX_MEMBERS} members."})
    membership = Membership.objects.create(user=user, conversation=conversation)
    _announce_membership(conversation, user.pk, added=True)
    return membership


@transaction.atomic
def member_remove(*, actor: Membership, user_id: int) -> None:
    conversation = actor.conversation
    if conversation.kind == Kind.DIRECT:
        raise ValidationError({"user": "A direct conversation has exactly two members."})
    if user_id != actor.user_id and not actor.can_manage:
        raise PermissionDenied("Only owners and admins can remove members.")
    target = Membership.objects.filter(conversation=conversation, user_id=user_id).first()
    if target is None:
        raise ValidationError({"user": "Not a member."})
    if target.role == Role.OWNER and actor.role != Role.OWNER and user_id != actor.user_id:
        raise PermissionDenied("Only an owner can remove an owner.")
    target.delete()
    if target.role == Role.OWNER:
        _keep_an_owner(conversation)
    _announce_membership(conversation, user_id, added=False)


def _keep_an_owner(conversation: Conversation) -> None:
    """A group or channel whose last owner left is handed to its longest-standing admin, else member, so that
    someone can still manage it. The conversation's row lock makes two owners leaving at once wait in turn."""
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    members = Membership.objects.filter(conversation=conversation)
    if members.filter(role=Role.OWNER).exists():
        return
    successor = members.order_by(Case(When(role=Role.ADMIN, then=0), default=1), "joined_at", "pk").first()
    if successor is not None:
        successor.role = Role.OWNER
        successor.save(update_fields=["role"])


@transaction.atomic
def channel_join(*, user: User, conversation: Conversation) -> Membership:
    membership, created = Membership.objects.get_or_create(user=user, conversation=conversation)
    if created:
        _announce_membership(conversation, user.pk, added=True)
    return membership


def conversation_leave(*, membership: Membership) -> None:
    member_remove(actor=membership, user_id=membership.user_id)


@transaction.atomic
def read_mark(*, membership: Membership, seq: int) -> Membership:
    """Move the read marker forward (never back) and tell the members. A marker past the newest message
    would hide the next ones from the unread count: refused."""
    conversation = membership.conversation
    if seq > newest_seq(conversation):
        raise ValidationError({"seq": "Past the conversation's newest message."})
    updated = Membership.objects.filter(pk=membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
    if updated:
        membership.last_read_seq = seq
        fanout.after_commit(
            fanout.to_conversation,
            conversation.pk,
            events.read(conversation_id=conversation.pk, user_id=membership.user_id, seq=seq),
        )
    return membership


@transaction.atomic
def message_edit(*, user: User, message_id: UUID, body: str) -> Message:
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    if message.sender_id != user.pk:
        raise PermissionDenied("Only the sender can edit a message.")
    if message.is_deleted:
        raise ValidationError({"message": "The message was deleted."})
    new_body = _clean_body(body)
    MessageRevision.objects.create(message=message, body=message.body, editor=user)  # for moderators
    message.body = new_body
    message.edited_at = datetime.now(tz=UTC)
    message.save(update_fields=["body", "edited_at"])
    _after_change(message, events.message_updated(message))
    return message


@transaction.atomic
def message_delete(*, user: User, message_id: UUID) -> Message:
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    if message.sender_id != user.pk:
        membership = selectors.membership_get(user=user, conversation_id=message.conversation_id)
        if not membership.can_manage:
            raise PermissionDenied("Only the sender or the conversation's owners and admins can delete.")
    return message_soft_delete(message=message)


def message_soft_delete(*, message: Message) -> Message:
    """Remove a message's content for everyone, live; its files stay if attached elsewhere."""
    if message.is_deleted:
        return message
    message.deleted_at = datetime.now(tz=UTC)
    message.body = ""
    message.save(update_fields=["deleted_at", "body"])
    message.reactions.all().delete()
    _after_change(message, events.message_deleted(message))
    return message


def _after_change(message: Message, event: dict[str, Any]) -> None:
    """Once committed: update the journal's copies of the message, then tell the members."""
    transaction.on_commit(partial(remember_changed, selectors.stored_message_payload(message)))
    fanout.after_commit(fanout.to_conversation, message.conversation_id, event)


def _clean_body(body: str) -> str:
    if not body.strip():
        raise ValidationError({"body": "The message cannot be empty."})
    if len(body) > Message.BODY_MAX_LENGTH:
        raise ValidationError({"body": f"At most {Message.BODY_MAX_LENGTH} characters."})
    return body


@transaction.atomic
def reaction_add(*, user: User, message_id: UUID, emoji: str) -> Reaction:
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    if message.is_deleted:
        raise ValidationError({"message": "The message was deleted."})
    reaction, created = Reaction.objects.get_or_create(message=message, user=user, emoji=_clean_emoji(emoji))
    if created:
        fanout.after_commit(
            fanout.to_conversation,
            message.conversation_id,
            events.reaction(message=message, user_id=user.pk, emoji=reaction.emoji, state="added"),
        )
    return reaction


@transaction.atomic
def reaction_remove(*, user: User, message_id: UUID, emoji: str) -> None:
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    deleted, _ = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
    if deleted:
        fanout.after_commit(
            fanout.to_conversation,
            message.conversation_id,
            events.reaction(message=message, user_id=user.pk, emoji=emoji, state="removed"),
        )


def _clean_emoji(emoji: str) -> str:
    emoji = emoji.strip()
    if not emoji or len(emoji) > Reaction.EMOJI_MAX_LENGTH or any(c.isspace() for c in emoji):
        raise ValidationError({"emoji": "One emoji, at most 32 characters."})
    return emoji


def messages_store(*, messages: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    """Write acknowledged messages; one already stored (same id, or same sender and client_id) is skipped.
    Returns (how many are new, the messages that can never be stored). A batch costs the same few statements
    whatever its size, and its pushes are decided by one task."""
    unstorable: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            new = _insert(messages)
    except IntegrityError:
        # One bad row (e.g. its conversation was deleted) must not hold back the rest: go one by one.
        new, unstorable = _insert_one_by_one(messages)
    _schedule_pushes(new)
    return len(new), unstorable


def _insert_one_by_one(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    new: list[dict[str, Any]] = []
    unstorable: list[dict[str, Any]] = []
    for message in messages:
        try:
            with transaction.atomic():
                new += _insert([message])
        except IntegrityError:
            unstorable.append(message)
    return new, unstorable


def _insert(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store what is new of `messages` and return it. Rows go in (conversation, seq) order, so that two tasks
    inserting the same messages (a redelivered batch) wait for each other instead of deadlocking."""
    in_order = sorted(messages, key=lambda m: (m["conversation"], m["seq"]))
    new_ids = set(insert_new([_row(m) for m in in_order]))
    _refuse_lost([m for m in messages if UUID(m["id"]) not in new_ids])
    new = [m for m in messages if UUID(m["id"]) in new_ids]
    _keep_replies_inside_their_conversation(new)
    _link_attachments(new)
    _advance_conversations(new)
    return new


def _refuse_lost(skipped: list[dict[str, Any]]) -> None:
    """A message skipped by the insert is fine if it was already stored under its id or its client_id;
    otherwise another message holds its seq, and it must not vanish silently: it is raised, to be
    dead-lettered."""
    if not skipped:
        return
    stored = Message.objects.filter(
        Q(pk__in=[m["id"] for m in skipped])
        | Q(
            sender_id__in={m["sender"]["id"] for m in skipped},
            client_id__in={m["client_id"] for m in skipped},
        )
    ).values_list("pk", "sender_id", "client_id")
    ids, client_ids = set(), set()
    for pk, sender_id, client_id in stored:
        ids.add(pk)
        client_ids.add((sender_id, client_id))
    if any(
        UUID(m["id"]) not in ids and (m["sender"]["id"], UUID(m["client_id"])) not in client_ids
        for m in skipped
    ):
        raise IntegrityError("a message's seq is held by another message")


def _row(message: dict[str, Any]) -> Message:
    return Message(
        id=message["id"],
        conversation_id=message["conversation"],
        sender_id=message["sender"]["id"],
        seq=message["seq"],
        body=message["body"],
        client_id=message["client_id"],
        reply_to_id=message["reply_to"],
        created_at=datetime.fromisoformat(message["created_at"]),
    )


def _keep_replies_inside_their_conversation(messages: list[dict[str, Any]]) -> None:
    """A reply_to naming a message of another conversation is dropped (a parent still in flight is kept)."""
    replies = [m["id"] for m in messages if m["reply_to"]]
    if replies:
        Message.objects.filter(pk__in=replies, reply_to__conversation__isnull=False).exclude(
            reply_to__conversation=F("conversation")
        ).update(reply_to=None)


def _link_attachments(messages: list[dict[str, Any]]) -> None:
    through = Message.attachments.through
    links = [through(message_id=m["id"], storedfile_id=a["id"]) for m in messages for a in m["attachments"]]
    through.objects.bulk_create(links, ignore_conflicts=True)


# Written in SQL: the ORM's CPU building this statement (a CASE per conversation, or subqueries) was up to
# half a persistence task's (docs/benchmarks.md). Portable (PostgreSQL and SQLite): a conversation moves only
# when a newer seq was stored, to that message's seq and time. Where the database has row locks, the rows
# are locked in id order first: two tasks updating the same conversations in scan order could deadlock
# (PostgreSQL's log showed one or two per benchmark run), and each deadlock cost its batch a second or more.
ADVANCE_CONVERSATIONS_SQL = """
UPDATE {conversation} SET
    last_seq = (SELECT MAX(m.seq) FROM {message} m WHERE m.conversation_id = {conversation}.id),
    last_activity_at = (
        SELECT m.created_at FROM {message} m WHERE m.conversation_id = {conversation}.id
        ORDER BY m.seq DESC LIMIT 1
    )
WHERE id IN (SELECT c.id FROM {conversation} c WHERE c.id IN ({ids}) ORDER BY c.id{lock})
    AND last_seq < (SELECT MAX(m.seq) FROM {message} m WHERE m.conversation_id = {conversation}.id)
"""


def _advance_conversations(messages: list[dict[str, Any]]) -> None:
    """Move each conversation's last_seq and last_activity_at forward (never back) to its newest stored
    message, in one statement whose size grows only by one id per conversation."""
    conversation_ids = list({m["conversation"] for m in messages})
    if not conversation_ids:
        return
    sql = ADVANCE_CONVERSATIONS_SQL.format(
        conversation=Conversation._meta.db_table,
        message=Message._meta.db_table,
        ids=", ".join(["%s"] * len(conversation_ids)),
        lock=" FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, conversation_ids)


def _schedule_pushes(messages: list[dict[str, Any]]) -> None:
    """Decide pushes for new messages, unless nobody in their conversations could be pushed at all: one
    query here spares a task (and its queries) for every batch no push subscriber is part of."""
    from notifications.selectors import anyone_pushable_in
    from notifications.services import push_schedule_for_messages

    if anyone_pushable_in(conversation_ids={m["conversation"] for m in messages}):
        message_ids = [UUID(m["id"]) for m in messages]
        transaction.on_commit(partial(push_schedule_for_messages, message_ids))
