"""Membership rows coming and going, or changing role, and telling those who need to know: an event of the
conversation for its members, and the user's own sockets, on every worker, on their own channel (they start or
stop following the conversation)."""

from django.db import transaction
from django.db.models import Case, When

from accounts.models import User
from core.errors import Refused
from messaging.models import Conversation, ConversationEvent, Membership
from messaging.services.eventlog import event_record
from realtime import fanout

Role = Membership.Role


def membership_announce(conversation: Conversation, user_id: int, *, added: bool) -> None:
    """An event of the conversation for its members; the user's own sockets hear of it once, on their own
    channel, whether or not they already follow the conversation (and start or stop following it)."""
    text = event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.MEMBERSHIP,
        user_id=user_id,
        data={"state": "added" if added else "removed"},
        exclude_user=user_id,
    )
    fanout.after_commit(fanout.membership_changed, user_id, conversation.pk, text, added=added)


def role_announce(conversation: Conversation, user_id: int, *, role: str) -> None:
    """A member's new role, as an event of the conversation: every member's sockets hear of it, theirs too."""
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.MEMBER_UPDATED,
        user_id=user_id,
        data={"role": role},
    )


def lock_owners(conversation: Conversation) -> None:
    """The conversation's row lock: changes that must leave it an owner (owners leaving, stepping down) wait
    for each other in turn, so that two at once cannot leave it none."""
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()


def keep_an_owner(conversation: Conversation) -> None:
    """A group or channel with no owner (its last owner left; or, a channel, every member did and someone
    joined) is handed to its longest-standing admin, else member, a person before a bot and never an account
    that is gone, so that someone can still manage it; members hear of the new owner at once."""
    lock_owners(conversation)
    members = Membership.objects.filter(conversation=conversation)
    if members.filter(role=Role.OWNER).exists():
        return
    candidates = members.filter(user__is_active=True)
    admins_first = Case(When(role=Role.ADMIN, then=0), default=1)
    successor = candidates.order_by("user__is_bot", admins_first, "joined_at", "pk").first()
    if successor is not None:
        successor.role = Role.OWNER
        successor.save(update_fields=["role"])
        role_announce(conversation, successor.user_id, role=Role.OWNER)


def _bot_without_owner(bot: User) -> Refused:
    return Refused(
        "bot_owner_not_member",
        f"{bot.public_name} is a bot: it can only be in a conversation its owner is in. Add its owner first.",
    )


def check_bot_goes_with_owner(user: User, member_ids: set[int]) -> None:
    """A bot acts for its owner, so it goes where its owner goes (docs/api.md, "Bots"): into a group or
    channel only beside its owner (`member_ids`: who will be in it). Elsewhere its owner would read, through
    the bot's tokens, a conversation they are not in."""
    if user.is_bot and user.bot_owner_id not in member_ids:
        raise _bot_without_owner(user)


def check_bot_may_join(user: User, conversation: Conversation) -> None:
    """check_bot_goes_with_owner, for a group or channel as it is now."""
    if not user.is_bot:
        return
    owner_id = user.bot_owner_id
    if owner_id is None or not conversation.memberships.filter(user_id=owner_id).exists():
        raise _bot_without_owner(user)


@transaction.atomic
def channel_join(*, user: User, conversation: Conversation) -> Membership:
    """Join a public channel; one its last member left has nobody to manage it, and whoever joins it first
    owns it (their membership says so from the start: their sockets load it as they start following it). A
    bot joins only where its owner is (a webhook's bot is made by a member, and joins beside them)."""
    lock_owners(conversation)
    check_bot_may_join(user, conversation)
    role = Role.MEMBER if Membership.objects.filter(conversation=conversation).exists() else Role.OWNER
    membership, created = Membership.objects.get_or_create(
        user=user, conversation=conversation, defaults={"role": role}
    )
    if created:
        membership_announce(conversation, user.pk, added=True)
    return membership


def membership_end(*, membership: Membership) -> None:
    membership.delete()
    membership_announce(membership.conversation, membership.user_id, added=False)
