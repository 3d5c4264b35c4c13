"""`make demo`: demo people and conversations to look around with."""

from typing import Any
from uuid import uuid4

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from messaging import events, services
from messaging.models import Conversation

DEMO_PASSWORD = "parley-demo-2026"  # noqa: S105 - printed for the person running the demo
PEOPLE = [("ada", "Ada Lovelace"), ("grace", "Grace Hopper"), ("alan", "Alan Turing")]
SCRIPT = [
    ("ada", "Morning! Did the **analytical engine** notes land?"),
    ("grace", "They did. I found a bug in section G — an actual moth."),
    ("alan", "Can a machine think? Asking for a friend. :)"),
]


class Command(BaseCommand):
    help = "Create demo users (password printed) with a direct message, a group and a public channel."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        people = {username: self._person(username, name) for username, name in PEOPLE}
        ada, grace, alan = people["ada"], people["grace"], people["alan"]
        services.conversation_create(creator=ada, kind="direct", member_ids=[grace.pk])
        if not Conversation.objects.filter(title="Engine room").exists():
            group, _ = services.conversation_create(
                creator=ada, kind="group", title="Engine room", member_ids=[grace.pk, alan.pk]
            )
            services.conversation_create(
                creator=grace, kind="channel", title="general", is_public=True, member_ids=[ada.pk]
            )
            self._converse(group, people)
        self.stdout.write(f"Demo users: {', '.join(people)} — password {DEMO_PASSWORD!r}")

    def _person(self, username: str, display_name: str) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"display_name": display_name, "email": f"{username}@demo.invalid"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _converse(self, conversation: Conversation, people: dict[str, User]) -> None:
        messages = [
            events.new_message_payload(
                sender=events.sender_payload(people[username]),
                conversation_id=conversation.pk,
                seq=seq,
                body=body,
                client_id=uuid4(),
            )
            for seq, (username, body) in enumerate(SCRIPT, start=1)
        ]
        services.messages_store(messages=messages)
