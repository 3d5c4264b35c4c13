"""Resume restores everything (issue #27), on the real stack: a member goes away while every kind of change
is made — edits, deletions, reactions, a read marker, a rename, a member added and removed, a moderator's
removal — then comes back on the *other* worker and syncs. What it ends up holding equals a fresh REST read,
and no event arrives twice: from the recent log, from storage once Redis has lost it, and in pages."""

import asyncio
import os
import subprocess
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import slot
from tests.stack.client import ChatClient, conversation_of, wait_until
from tests.stack.conftest import ROOT, STACK_ENV, Stack, StackUser, worker_ws
from tests.stack.test_delivery import run_quietly

pytestmark = pytest.mark.stack


@dataclass
class View:
    """One conversation as a client holds it after applying the events it received (docs/protocol.md)."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    title: str | None = None
    joined: set[int] = field(default_factory=set)
    left: set[int] = field(default_factory=set)

    def apply(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind in ("message.new", "message.updated"):
            message = frame["message"]
            kept = self.messages.get(message["id"], {}).get("reactions", {})
            self.messages[message["id"]] = {**message, "reactions": {} if message["deleted"] else kept}
        elif kind == "message.deleted":
            deleted = self.messages.setdefault(frame["id"], {"id": frame["id"]})
            deleted.update(body="", deleted=True, attachments=[], reactions={})
        elif kind == "reaction":
            users = self.messages[frame["message"]]["reactions"].setdefault(frame["emoji"], set())
            (users.add if frame["state"] == "added" else users.discard)(frame["user"])
        elif kind == "conversation.updated":
            self.title = frame["conversation"]["title"]
        elif kind == "membership":
            added = frame["state"] == "added"
            (self.joined if added else self.left).add(frame["user"])
            (self.left if added else self.joined).discard(frame["user"])


def view_of(client: ChatClient, conversation_id: int) -> View:
    view = View()
    for frame in client.events:
        if conversation_of(frame) == conversation_id:
            view.apply(frame)
    return view


def assert_each_event_once(client: ChatClient, conversation_id: int) -> None:
    seqs = [frame["seq"] for frame in client.events if conversation_of(frame) == conversation_id]
    assert len(seqs) == len(set(seqs)), "an event arrived twice"


def rest_state(stack: Stack, user: StackUser, conversation_id: int) -> tuple[dict[str, dict], str]:
    """What a fresh page load shows: the history's messages and reactions, and the title."""
    headers = {"Authorization": f"Bearer {user.token}"}
    history = stack.http.get(
        f"{stack.url}/api/v1/conversations/{conversation_id}/messages/",
        params={"limit": 100},
        headers=headers,
        timeout=10,
    ).json()["results"]
    detail = stack.http.get(
        f"{stack.url}/api/v1/conversations/{conversation_id}/", headers=headers, timeout=10
    )
    messages = {
        m["id"]: {**m, "reactions": {r["emoji"]: set(r["users"]) for r in m["reactions"] if r["users"]}}
        for m in history
    }
    return messages, detail.json()["title"]


def assert_converged(stack: Stack, client: ChatClient, conversation_id: int) -> None:
    view = view_of(client, conversation_id)
    messages, title = rest_state(stack, client.user, conversation_id)
    shown = {mid: {k: m[k] for k in ("body", "deleted", "edited_at")} for mid, m in messages.items()}
    held = {mid: {k: m.get(k) for k in ("body", "deleted", "edited_at")} for mid, m in view.messages.items()}
    assert held == shown
    assert {mid: m["reactions"] for mid, m in view.messages.items()} == {
        mid: m["reactions"] for mid, m in messages.items()
    }
    assert view.title == title
    assert_each_event_once(client, conversation_id)


def moderator_removes(message_id: str) -> None:
    """A moderator's removal, through the service the admin action calls, in the stack's own database."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env |= {**STACK_ENV, "DJANGO_SETTINGS_MODULE": "chatproject.settings.base"}
    script = (
        "from messaging.models import Message; from messaging.services import message_soft_delete; "
        f"message_soft_delete(message=Message.objects.get(pk='{message_id}'), by_moderator=True)"
    )
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


class Member:
    """A user acting through REST, as the web app does for everything but sending."""

    def __init__(self, stack: Stack, user: StackUser) -> None:
        self.stack, self.user = stack, user

    def call(self, method: str, path: str, **json: Any) -> Any:
        response = self.stack.http.request(
            method,
            f"{self.stack.url}/api/v1/{path}",
            json=json or None,
            headers={"Authorization": f"Bearer {self.user.token}"},
            timeout=10,
        )
        assert response.status_code < 300, response.text
        return response.json() if response.content else None


async def every_change_while_away(stack: Stack, ada: ChatClient, conversation: int) -> list[dict]:
    """Three messages, then each kind of change to them and to the conversation."""
    sent = [await ada.send(conversation, f"message {n}") for n in range(3)]
    await wait_until(lambda: len(stack.stored([m["id"] for m in sent])) == 3, within=30)
    cy = stack.user()
    owner = Member(stack, ada.user)

    def change() -> None:
        owner.call("PATCH", f"messages/{sent[0]['id']}/", body="message 0, edited")
        owner.call("DELETE", f"messages/{sent[1]['id']}/")
        owner.call("POST", f"messages/{sent[2]['id']}/reactions/", emoji="🎉")
        owner.call("POST", f"conversations/{conversation}/read/", seq=sent[2]["seq"])
        owner.call("PATCH", f"conversations/{conversation}/", title="Renamed while away")
        owner.call("POST", f"conversations/{conversation}/members/", user=cy.id)
        owner.call("DELETE", f"conversations/{conversation}/members/{cy.id}/")
        moderator_removes(sent[0]["id"])

    await asyncio.to_thread(change)
    return sent


async def away_and_back(stack: Stack, *, while_away=None) -> tuple[ChatClient, int]:
    """bob follows a conversation on worker 1, goes away while ada changes everything, and comes back on
    worker 2; `while_away` strikes after the changes."""
    ada_user, bob_user = stack.user(), stack.user()
    conversation = stack.group(ada_user, bob_user)
    ada, bob = ChatClient(worker_ws(1), ada_user), ChatClient(worker_ws(1), bob_user)
    await ada.start()
    await bob.start()
    first = await ada.send(conversation, "before")
    await wait_until(lambda: any(m["id"] == first["id"] for m in bob.received))
    await bob.stop()
    await every_change_while_away(stack, ada, conversation)
    if while_away is not None:
        await while_away()
    await ada.stop()
    back = ChatClient(worker_ws(2), bob_user, events=bob.events, cursors=bob.cursors, received=bob.received)
    await back.start()
    await wait_until(back._synced.is_set, within=30)
    return back, conversation


async def test_a_member_back_on_the_other_worker_converges_from_the_recent_log(stack):
    bob, conversation = await away_and_back(stack)
    try:
        assert_converged(stack, bob, conversation)
        view = view_of(bob, conversation)
        assert "message 0" not in str([m.get("body") for m in view.messages.values()])  # removed: words gone
    finally:
        await bob.stop()


async def test_a_member_converges_from_storage_when_redis_lost_the_log(stack):
    async def restart_redis() -> None:
        shutdown = ("redis-cli", "-p", str(slot.REDIS_PORT), "shutdown", "nosave")
        await asyncio.to_thread(run_quietly, *shutdown, check=False)
        await asyncio.to_thread(
            run_quietly,
            *("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(slot.REDIS_PORT)),
            *("--save", "", "--appendonly", "no"),
        )

    bob, conversation = await away_and_back(stack, while_away=restart_redis)
    try:
        assert_converged(stack, bob, conversation)
    finally:
        await bob.stop()


async def test_a_long_absence_is_caught_up_in_pages(stack):
    ada_user, bob_user = stack.user(), stack.user()
    conversation = stack.group(ada_user, bob_user)
    ada = ChatClient(worker_ws(1), ada_user)
    await ada.start()
    sent = await asyncio.gather(*(ada.send(conversation, f"burst {n}") for n in range(600)))
    bob = ChatClient(worker_ws(2), bob_user)
    bob.cursors[str(conversation)] = 0
    try:
        await bob.start()
        await wait_until(lambda: len(bob.received) >= 600 and bob._synced.is_set(), within=60)
        assert sorted(m["seq"] for m in bob.received) == [m["seq"] for m in bob.received]
        assert {m["id"] for m in bob.received} == {m["id"] for m in sent}
        assert len(bob.received) == 600
    finally:
        await ada.stop()
        await bob.stop()


async def test_a_retry_after_redis_was_flushed_reaches_each_member_once(stack):
    ada_user, bob_user = stack.user(), stack.user()
    conversation = stack.group(ada_user, bob_user)
    ada, bob = ChatClient(worker_ws(1), ada_user), ChatClient(worker_ws(2), bob_user)
    await ada.start()
    await bob.start()
    try:
        client_id = str(uuid.uuid4())
        acked = await ada.send_once(conversation, "only once", client_id)
        await wait_until(lambda: len(stack.stored([acked["id"]])) == 1, within=30)
        # Redis loses everything: the workers close every socket (1012) and the clients come back
        flush = (
            "redis-cli",
            "-p",
            str(slot.REDIS_PORT),
            "-n",
            STACK_ENV["REDIS_URL"].rsplit("/", 1)[1],
            "flushdb",
        )
        await asyncio.to_thread(run_quietly, *flush)
        await wait_until(lambda: ada.reconnects and bob.reconnects and ada._synced.is_set(), within=30)
        # ada's client retries the send whose ack it may have missed
        again = await ada.send(conversation, "only once", client_id=client_id)
        assert (again["id"], again["seq"]) == (acked["id"], acked["seq"])
        marker = await ada.send(conversation, "after the retry")
        await wait_until(lambda: any(m["id"] == marker["id"] for m in bob.received), within=30)
        assert [m["id"] for m in bob.received].count(acked["id"]) == 1
    finally:
        await ada.stop()
        await bob.stop()
