"""Writes to conversations and memberships: create, rename, add and remove members, change their roles, join,
leave, read markers. Each validates and writes in one transaction; a change members see is recorded as an
event of the conversation (messaging.services.eventlog), logged and broadcast after commit."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts import selectors as account_selectors
from accounts.models import User
from core.errors import NotFound, Refused
from core.text import visible_text
from messaging import events, selectors
from messaging.delivery.eventlog import initialise_counter, is_logged
from messaging.models import (
    PUBLIC_CHANNEL_TITLE_UNIQUE,
    Conversation,
    ConversationEvent,
    Membership,
    Webhook,
)
from messaging.services.eventlog import event_record
from messaging.services.memberships import (
    check_bot_goes_with_owner,
    check_bot_may_join,
    keep_an_owner,
    lock_owners,
    membership_announce,
    membership_end,
    role_announce,
)
from messaging.services.webhooks import webhook_revoke
from realtime import fanout
from realtime.frames import to_json

GROUP_MAX_MEMBERS = 500
Role = Membership.Role
Kind = Conversation.Kind


def _active_users(user_ids: list[int]) -> list[User]:
    users = list(User.objects.filter(pk__in=set(user_ids), is_active=True))
    if len(users) != len(set(user_ids)):
        raise ValidationError({"members": "Unknown user."})
    return users


def _check_may_add(actor: User, user: User) -> None:
    """Nobody adds someone who blocked them to a group or channel."""
    if account_selectors.has_blocked(blocker_id=user.pk, blocked_id=actor.pk):
        raise Refused("blocked", f"You can't add {user.public_name} to a conversation.")


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
    title = visible_text(title)
    if not title:
        raise ValidationError({"title": "A group or channel needs a title."})
    if is_public and kind != Kind.CHANNEL:
        raise ValidationError({"is_public": "Only channels can be public."})
    if len(others) + 1 > GROUP_MAX_MEMBERS:
        raise ValidationError({"members": f"At most {GROUP_MAX_MEMBERS} members."})
    everyone = {creator.pk, *(u.pk for u in others)}
    check_bot_goes_with_owner(creator, everyone)
    for other in others:
        _check_may_add(creator, other)
        check_bot_goes_with_owner(other, everyone)
    # In a channel only owners and admins may write @all and @here until they say otherwise.
    all_mention_policy = (
        Conversation.AllMentionPolicy.ADMINS if kind == Kind.CHANNEL else Conversation.AllMentionPolicy.ANYONE
    )
    if is_public:
        _check_public_title_free(title)
    with _public_title_race(title):
        conversation = Conversation.objects.create(
            kind=kind,
            title=title,
            is_public=is_public,
            created_by=creator,
            all_mention_policy=all_mention_policy,
        )
    Membership.objects.create(user=creator, conversation=conversation, role=Role.OWNER)
    Membership.objects.bulk_create([Membership(user=u, conversation=conversation) for u in others])
    _after_create(conversation, [creator.pk, *[u.pk for u in others]])
    return conversation, True


def _public_title_taken(title: str) -> Refused:
    return Refused(
        "channel_name_taken",
        f"There is already a public channel called “{title}”: choose another name.",
    )


def _check_public_title_free(title: str, *, other_than: int | None = None) -> None:
    """No two public channels share a name, whatever its case (the model's constraint is the last word)."""
    same = Conversation.objects.filter(kind=Kind.CHANNEL, is_public=True, title__iexact=title)
    if other_than is not None:
        same = same.exclude(pk=other_than)
    existing = same.values_list("title", flat=True).first()
    if existing is not None:
        raise _public_title_taken(existing)  # by the name the channel browser shows


@contextmanager
def _public_title_race(title: str) -> Iterator[None]:
    """Two people naming public channels alike at once: the constraint stops the second, told as the check
    would have told them."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if PUBLIC_CHANNEL_TITLE_UNIQUE not in str(error):
            raise
        raise _public_title_taken(title) from None


def _direct_get_or_create(creator: User, other: User) -> tuple[Conversation, bool]:
    if account_selectors.blocked_either_way(user_id=creator.pk, other_id=other.pk):
        raise Refused("blocked", "You can't start a conversation with this person.")
    key = selectors.direct_key(creator.pk, other.pk)
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
    """A new conversation starts with its members and no events: each member's sockets start following it."""
    transaction.on_commit(lambda: initialise_counter(conversation.pk))
    for user_id in member_ids:
        report = to_json(events.membership_report(conversation=conversation, user_id=user_id, added=True))
        fanout.after_commit(fanout.membership_changed, user_id, conversation.pk, report, added=True)


@transaction.atomic
def conversation_update(
    *,
    membership: Membership,
    title: str | None = None,
    muted: bool | None = None,
    notification_level: str | None = None,
    pin_policy: str | None = None,
    all_mention_policy: str | None = None,
) -> Conversation:
    """Rename, or set who may pin or write @all/@here (owners and admins; members hear of it), or one's own
    notification level. `muted` is the older name of level "none": true sets it, false turns a "none" back
    into "default" (docs/notifications.md)."""
    conversation = membership.conversation
    asked = {"title": title, "pin_policy": pin_policy, "all_mention_policy": all_mention_policy}
    changes = _managed_changes(
        membership, {field: value for field, value in asked.items() if value is not None}
    )
    if changes:
        if "title" in changes and conversation.kind == Kind.CHANNEL and conversation.is_public:
            _check_public_title_free(changes["title"], other_than=conversation.pk)
        for field, value in changes.items():
            setattr(conversation, field, value)
        with _public_title_race(conversation.title):
            conversation.save(update_fields=list(changes))
        event_record(conversation=conversation, kind=ConversationEvent.Kind.CONVERSATION_UPDATED)
    level = _level_asked(membership, muted=muted, notification_level=notification_level)
    if level is not None and level != membership.notification_level:
        membership.notification_level = level
        membership.save(update_fields=["notification_level"])
        # The member's other devices show it at once (their badge, the bell); nobody else hears of it.
        fanout.after_commit(fanout.to_user, membership.user_id, events.notification_level_updated(membership))
    return conversation


# The settings owners and admins manage, and what a direct conversation and a plain member are told.
MANAGED_SETTINGS = {
    "title": ("A direct conversation has no title.", "Only owners and admins can rename."),
    "pin_policy": (
        "Both people in a direct conversation may pin.",
        "Only owners and admins can choose who may pin.",
    ),
    "all_mention_policy": (
        "A direct conversation has no @all or @here.",
        "Only owners and admins can choose who may use @all and @here.",
    ),
}


def _managed_changes(membership: Membership, asked: dict[str, str]) -> dict[str, str]:
    """The managed settings a PATCH changes (field → new value), each checked before any is applied."""
    conversation = membership.conversation
    changes: dict[str, str] = {}
    for field, value in asked.items():
        direct_refusal, member_refusal = MANAGED_SETTINGS[field]
        if conversation.kind == Kind.DIRECT:
            raise ValidationError({field: direct_refusal})
        if not membership.can_manage:
            raise PermissionDenied(member_refusal)
        if field == "title":
            value = visible_text(value)
            if not value:
                raise ValidationError({"title": "The title cannot be empty."})
        if value != getattr(conversation, field):
            changes[field] = value
    return changes


def _level_asked(membership: Membership, *, muted: bool | None, notification_level: str | None) -> str | None:
    """The level a PATCH asks for: `notification_level` wins over the older `muted` if both are given."""
    if notification_level is not None:
        if notification_level not in Membership.NotificationLevel.values:
            raise ValidationError({"notification_level": "Unknown notification level."})
        return notification_level
    if muted is True:
        return Membership.NotificationLevel.NONE
    if muted is False and membership.muted:
        return Membership.NotificationLevel.DEFAULT
    return None


@transaction.atomic
def member_add(*, actor: Membership, user_id: int) -> tuple[Membership, bool]:
    """Add someone to a group or channel: their membership, and whether it is new (someone already in it is
    simply confirmed, and nobody is told anything)."""
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
        return existing, False
    _check_may_add(actor.user, user)
    check_bot_may_join(user, conversation)
    if conversation.kind == Kind.GROUP and conversation.memberships.count() >= GROUP_MAX_MEMBERS:
        raise ValidationError({"user": f"At most {GROUP_MAX_MEMBERS} members."})
    membership = Membership.objects.create(user=user, conversation=conversation)
    membership_announce(conversation, user.pk, added=True)
    return membership, True


@transaction.atomic
def member_remove(*, actor: Membership, user_id: int) -> None:
    conversation = actor.conversation
    if conversation.kind == Kind.DIRECT:
        raise ValidationError({"user": "A direct conversation has exactly two members."})
    if user_id != actor.user_id and not actor.can_manage:
        raise PermissionDenied("Only owners and admins can remove members.")
    target = Membership.objects.filter(conversation=conversation, user_id=user_id).first()
    if target is None:  # not there to remove: a 404, as for any object that is not there
        raise NotFound(selectors.NO_SUCH_MEMBER)
    if target.role == Role.OWNER and actor.role != Role.OWNER and user_id != actor.user_id:
        raise PermissionDenied("Only an owner can remove an owner.")
    target.delete()
    _take_away_what_they_brought(conversation, user_id)  # first: a bot of theirs must not inherit it
    _end_webhook_of_bot(conversation, user_id)
    if target.role == Role.OWNER:
        keep_an_owner(conversation)
    membership_announce(conversation, user_id, added=False)


def _take_away_what_they_brought(conversation: Conversation, user_id: int) -> None:
    """A member who goes (removed, or leaving) must not keep reading or posting through what they own: the
    webhooks they made here are revoked, which retires their bots (tokens refused, sockets closed, 4401), and
    their own bots leave the conversation. Retired rather than handed over: they still know the secret URL."""
    made_here = Webhook.objects.filter(
        conversation=conversation, created_by_id=user_id, revoked_at__isnull=True
    )
    for webhook in made_here.select_related("bot"):
        webhook_revoke(webhook=webhook)
    their_bots = Membership.objects.filter(
        conversation=conversation, user__bot_owner_id=user_id, user__is_webhook_bot=False
    ).select_related("conversation")
    for membership in their_bots:
        membership_end(membership=membership)


def _end_webhook_of_bot(conversation: Conversation, user_id: int) -> None:
    """A webhook's bot removed from its conversation ends the webhook, as revoking it would (its URL answered
    404 while the webhook still listed as alive and could be rotated into another dead URL)."""
    webhooks = Webhook.objects.filter(conversation=conversation, bot_id=user_id, revoked_at__isnull=True)
    for webhook in webhooks.select_related("bot"):
        webhook_revoke(webhook=webhook)


ONLY_OWNER = "You are the only owner: appoint another owner first, then step down."


@transaction.atomic
def member_role_set(*, actor: Membership, user_id: int, role: str) -> Membership:
    """Make a member of a group or channel an owner, an admin or a plain member again (owners only; members
    hear of it). The only owner steps down once another is appointed: someone must be able to manage it."""
    conversation = actor.conversation
    if conversation.kind == Kind.DIRECT:
        raise ValidationError({"role": "A direct conversation has no roles."})
    if role not in Role.values:
        raise ValidationError({"role": "Unknown role."})
    lock_owners(conversation)
    actor.refresh_from_db(fields=["role"])  # as it is now that concurrent role changes are done
    if actor.role != Role.OWNER:
        raise PermissionDenied("Only owners can change roles.")
    members = Membership.objects.filter(conversation=conversation)
    target = members.filter(user_id=user_id).first()
    if target is None:  # not there (or left meanwhile): a 404, as member_remove answers
        raise NotFound(selectors.NO_SUCH_MEMBER)
    if target.role == role:
        return target
    if target.role == Role.OWNER and not members.filter(role=Role.OWNER).exclude(pk=target.pk).exists():
        raise ValidationError({"role": ONLY_OWNER})
    target.role = role
    target.save(update_fields=["role"])
    role_announce(conversation, user_id, role=role)
    return target


def conversation_leave(*, membership: Membership) -> None:
    member_remove(actor=membership, user_id=membership.user_id)


@transaction.atomic
def read_mark(*, membership: Membership, seq: int) -> Membership:
    """Move the read marker forward (never back) and tell the members. The marker names an event of the
    conversation (or 0): a made-up seq, past the newest one, would hide the next messages from the unread
    count."""
    conversation = membership.conversation
    if seq and not (
        selectors.event_exists(conversation_id=conversation.pk, seq=seq) or is_logged(conversation.pk, seq)
    ):
        raise ValidationError({"seq": "No event of the conversation has this seq."})
    updated = Membership.objects.filter(pk=membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
    if updated:
        membership.last_read_seq = seq
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.READ,
            user_id=membership.user_id,
            data={"up_to": seq},
        )
    return membership
