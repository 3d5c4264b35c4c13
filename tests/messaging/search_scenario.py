"""One set of conversations and the answers to a list of searches, built and asked the same way on either
database: in the test process on PostgreSQL, and in a fresh
embedded process on SQLite (`main`), so that the two indexes are shown to answer alike."""

import json
import sys
import uuid
from datetime import UTC, datetime
from typing import cast

from accounts.models import User
from files.events import attachment_payload
from files.models import StoredFile
from files.services import files_delete_for_owner
from messaging import selectors
from messaging.models import Conversation, Membership, Message
from messaging.services import messages_store
from tests.accounts.factories import UserFactory
from tests.files.factories import StoredFileFactory
from tests.messaging.factories import acknowledged_payload

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
    ("has:file", False): ["", "deploy screenshot", "see the plan"],
    ("before:2026-01-02 report", False): ["quarterly report"],
    ("after:2026-01-02 report", False): ["weekly report"],
    ("secret", False): [],
    ("removed", False): [],
    # the words of its files' names find a message too, one with no text of its own included
    ("notes", False): ["", "release notes for friday"],
    ("quarterly", False): ["quarterly report", "see the plan"],
    ("roadmap plan", False): ["see the plan"],
    ("roadmap has:file from:@ada", False): ["see the plan"],
    ("budget", False): [],  # its message was deleted
    ("minutes", False): [],  # the file left its message with its owner's account
    ("agenda", False): [],  # in a conversation ada is not in
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
        cast(StoredFile, StoredFileFactory(owner=ada, name="screen.png"))
    )
    removed = _message(team, bob, 9, "removed deploy news")
    removed.body, removed.deleted_at = "", LATER  # as message_soft_delete leaves it
    removed.save()
    _message(_conversation(eve, title="ops", kind="channel", public=True), eve, 1, "deploy the ops runbook")
    _message(_conversation(eve, title="Eve's"), eve, 1, "secret deploy plans")
    _with_files(team, ada, 10, "", ["notes.txt"])
    _with_files(team, ada, 11, "see the plan", ["Quarterly-Roadmap_2027.pdf"])
    _with_files(team, ada, 12, "the figures", ["budget.xlsx"])
    Message.objects.filter(conversation=team, seq=12).update(body="", deleted_at=LATER)
    cy = cast(User, UserFactory(username="cy"))
    _with_files(team, ada, 13, "forwarded", ["meeting-minutes.txt"], owner=cy)
    files_delete_for_owner(owner=cy)  # as erasing cy's account does
    _with_files(_conversation(eve, title="Eve's plans"), eve, 1, "for tomorrow", ["agenda.txt"])
    return ada


def _with_files(
    conversation: Conversation,
    sender: User,
    seq: int,
    body: str,
    names: list[str],
    owner: User | None = None,
) -> None:
    """A message with files, stored as the persistence task stores a sent one."""
    files = [cast(StoredFile, StoredFileFactory(owner=owner or sender, name=name)) for name in names]
    message = acknowledged_payload(conversation, sender, seq=seq, body=body)
    message["attachments"] = [attachment_payload(f) for f in files]
    assert messages_store(messages=[message]).new == 1


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
