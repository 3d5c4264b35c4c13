"""A web worker's PostgreSQL connections: under ASGI each request's database code runs in a thread of its own,
so the workers pool their connections (DATABASE_POOL, set by scripts/web-server) rather than keeping one per
thread, which would start a PostgreSQL backend for every REST request. When PostgreSQL ends those sessions
(restarting, failing over), the sockets carry on."""

import uuid

from tests.stack.client import ChatClient, wait_until
from tests.stack.conftest import Stack, postgresql_down, worker_ws

REQUESTS = 40


def sessions_started(stack: Stack) -> int:
    """PostgreSQL sessions ever started on the stack's database (this query's own included)."""
    database = stack.database_url.rsplit("/", 1)[1]
    rows = stack.query("SELECT sessions FROM pg_stat_database WHERE datname = %s", (database,))
    return int(rows[0][0])


def test_rest_requests_reuse_the_web_workers_database_connections(stack: Stack):
    user = stack.user()
    for _ in range(4):  # both workers have served a request: their pools are open
        assert stack.get("/api/v1/conversations/", token=user.token).status_code == 200
    before = sessions_started(stack)

    for _ in range(REQUESTS):
        assert stack.get("/api/v1/conversations/", token=user.token).status_code == 200

    # then: a handful of sessions at most (the two queries' own, a pool filling up), not one per request
    assert sessions_started(stack) - before <= 8


async def send_edit(tab: ChatClient, message_id: str, body: str) -> str | None:
    """Send an edit and wait for its outcome: None once it is made, else the code it was refused with."""
    ref = str(uuid.uuid4())
    await tab.send_frame({"type": "message.edit", "message": message_id, "body": body, "client_id": ref})

    def refusal() -> str | None:
        return next((error["code"] for error in tab.errors if error.get("ref") == ref), None)

    # A worker waits up to its pool's timeout (10 s) for a connection before it gives up.
    await wait_until(lambda: heard_edit(tab, body) or refusal() is not None, within=20)
    return None if heard_edit(tab, body) else refusal()


def heard_edit(tab: ChatClient, body: str) -> bool:
    return any(e["type"] == "message.updated" and e["message"]["body"] == body for e in tab.events)


async def test_a_socket_carries_on_through_a_postgresql_restart(stack: Stack):
    ada, bob = stack.user(), stack.user()
    conversation = stack.group(ada, bob)
    ada_tab, bob_tab = ChatClient(worker_ws(1), ada), ChatClient(worker_ws(1), bob)
    await ada_tab.start()
    await bob_tab.start()
    sent = await ada_tab.send(conversation, "before the restart")
    await wait_until(lambda: stack.stored([sent["id"]]) != [])

    with postgresql_down(stack):
        refused = await send_edit(ada_tab, sent["id"], "edited while down")
    made = await send_edit(ada_tab, sent["id"], "edited once back")

    # then: the edit sent while PostgreSQL was down was refused as one to retry, and the retry was made, on
    # the same sockets: neither was dropped
    assert (refused, made) == ("unavailable", None)
    assert (ada_tab.reconnects, bob_tab.reconnects) == (0, 0)
    stored = stack.query("SELECT body FROM messaging_message WHERE id = %s", (sent["id"],))
    assert stored == [("edited once back",)]
    await wait_until(lambda: heard_edit(bob_tab, "edited once back"))
    await ada_tab.stop()
    await bob_tab.stop()
