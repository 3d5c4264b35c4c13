"""Membership rows coming and going, or changing role, and telling those who need to know: an event of the
conversation for its members, and the user's own sockets, on every worker, on their own channel (they start or
stop following the conversation)."""

from django.db import transaction

from accounts.models import User
from messaging.models import Conversation, ConversationEvent, Membership
from messaging.services.eventlog import event_record
from realtime import fanout


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


@transaction.atomic
def channel_join(*, user: User, conversation: Conversation) -> Membership:
    membership, created = Membership.objects.get_or_create(user=user, conversation=conversation)
    if created:
        membership_announce(conversation, user.pk, added=True)
    return membership


def membership_end(*, membership: Membership) -> None:
    membership.delete()
    membership_announce(membership.conversation, membership.user_id, added=False)
