from accounts.models import User
from messaging.models import Conversation, Membership


def make_conversation(
    *members: User,
    kind: str = "group",
    title: str = "Team",
    is_public: bool = False,
    owner: User | None = None,
) -> Conversation:
    """A conversation with `members` (the first is the owner unless `owner` is given), written directly."""
    owner = owner or members[0]
    conversation = Conversation.objects.create(
        kind=kind, title="" if kind == "direct" else title, is_public=is_public, created_by=owner
    )
    for user in members:
        role = Membership.Role.OWNER if user == owner and kind != "direct" else Membership.Role.MEMBER
        Membership.objects.create(user=user, conversation=conversation, role=role)
    return conversation
