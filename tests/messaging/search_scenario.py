"""One set of conversations and the answers to a list of searches, built and asked the same way on either
database: in the test process on PostgreSQL, and in a fresh
embedded process on SQLite (`main`), so that the two indexes are shown to answer alike."""

import json
import sys
import uuid
from datetime import UTC, datetime
from typing import cast

from accounts.models import User
from files.models import StoredFile
from messaging import selectors
from messaging.models import Conversation, Membership, Message
from tests.accounts.factories import UserFactory
from tests.files.factories import StoredFileFactory

DAY_1, DAY_3 = datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 3, 10, tzinfo=UTC)
LATER = datetime(2026, 2, 1, 10, tzinfo=UTC)

# (query, search public channels too) -> the bodies ada finds, in any order
EXPECTED: dict[tuple[str, bool], list[str]] = {
    ("run", False): ["I was running late, x < y & z"],
    ('"deploy on friday"', False): ["The deploy on Friday is at noon"],
    ("deploy OR lunch", False): [
        "The deploy on Friday is at noon",
        "lunch at the usual place?",
        "deploy screenshot",
    ],
    ("release -party", False): ["release notes for friday"],
    ("from:@bob deploy", False): ["The deploy on Friday is at noon"],
    ("from:@nobody deploy", False): [],
    ("in:#ops deploy", False): [],
    ("in:#ops deploy", True): ["deploy the ops runbook"],
    ("deploy", True): ["The deploy on Friday is at noon", "deploy screenshot", "deploy the ops runbook"],
    ("has:file", False): ["deploy screenshot"],
    ("before:2026-01-02 report", False): ["quarterly report"],
    ("after:2026-01-02 report", False): ["weekly report"],
    ("secret", False): [],
    ("removed", False): [],
}


def _message(conversation: Conversation, sender: User, seq: int, body: str, at: datetime = LATER) -> Message:
    return Message.objects.create(
        conversation=conversation, sender=sender, seq=seq, body=body, client_id=uuid.uuid4(), created_at=at
    )


def _conversation(*members: User, title: str, kind: str = "group", public: bool = False) -> Conversation:
    conversation = Conversation.objects.create(kind=kind, title=title, is_public=public)
    for user in members:
        Membership.objects.create(user=user, conversation=conversation)
    return conversation


def build() -> User:
    """The scenario; returns ada, whose searches EXPECTED lists."""
    ada, bob, eve = (cast(User, UserFactory(username=name)) for name in ("ada", "bob", "eve"))
    team = _conversation(ada, bob, title="Team")
    bodies = [
        (ada, "I was running late, x < y & z", LATER),
        (bob, "The deploy on Friday is at noon", LATER),
        (ada, "lunch at the usual place?", LATER),
        (ada, "release notes for friday", LATER),
        (ada, "release party tonight", LATER),
        (bob, "quarterly report", DAY_1),
        (bob, "weekly report", DAY_3),
    ]
    for seq, (sender, body, at) in enumerate(bodies, start=1):
        _message(team, sender, seq, body, at)
    _message(team, ada, 8, "deploy screenshot").attachments.add(
        cast(StoredFile, StoredFileFactory(owner=ada))
    )
    removed = _message(team, bob, 9, "removed deploy news")
    removed.body, removed.deleted_at = "", LATER  # as message_soft_delete leaves it
    removed.save()
    _message(_conversation(eve, title="ops", kind="channel", public=True), eve, 1, "deploy the ops runbook")
    _message(_conversation(eve, title="Eve's"), eve, 1, "secret deploy plans")
    return ada


def answers(user: User) -> dict[str, list[str]]:
    found = {}
    for text, public in EXPECTED:
        page = selectors.message_search(user=user, text=text, include_public=public, cursor=None, limit=50)
        found[f"{text}|{public}"] = sorted(message.body for message, _ in page.hits)
    return found


def snippet(user: User, text: str) -> str:
    page = selectors.message_search(user=user, text=text, include_public=False, cursor=None, limit=1)
    return page.hits[0][1]


def main() -> None:
    """In an embedded (SQLite) process, after django.setup(): migrate, build, and print the answers."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    ada = build()
    json.dump({"answers": answers(ada), "snippet": snippet(ada, "run")}, sys.stdout)
