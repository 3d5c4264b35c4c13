"""What connecting a socket costs the database: a reconnect storm (every client of a restarted worker at
once) goes through one database thread per worker, so each query per connect is paid thousands of times."""

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db.backends.utils import CursorWrapper

from accounts.selectors import account_policy
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def statements(monkeypatch) -> list[str]:
    """Every SQL statement run meanwhile, in any thread (a socket's run in Channels' database thread)."""
    seen: list[str] = []
    cursor_class: Any = CursorWrapper  # its _execute is Django's private hook, below the query wrappers
    execute = cursor_class._execute

    def recording(self, sql, *args):
        seen.append(sql)
        return execute(self, sql, *args)

    monkeypatch.setattr(CursorWrapper, "_execute", recording)
    return seen


async def test_a_socket_connects_with_one_read_of_each_thing_it_needs(connect, ada, bob, cy, statements):
    for _ in range(3):
        await sync_to_async(make_conversation)(ada, bob, cy)
    await sync_to_async(account_policy)()  # cached from here on, as in any running workspace
    statements.clear()
    client = await connect(ada, sync=False)
    await client.send({"type": "ping"})
    await client.receive_type("pong")
    # its token's user, its conversations, whom it blocks or is blocked by, where its conversations start
    # (storage's last seqs: these new ones have nothing in the journal's log yet), and its user once more
    # after it listens (the token may have been revoked meanwhile); not its user a third time, for its account
    tables = [sql.split(" FROM ", 1)[1].split()[0].strip('"') for sql in statements]
    assert sorted(tables) == [
        "accounts_block",
        "accounts_user",
        "accounts_user",
        "messaging_conversation",
        "messaging_membership",
    ]
