"""A gap that outlives GAP_TIMEOUT_SECONDS is filled from the journal, even when the journal fails at first
and nothing else is broadcast in the conversation afterwards: the messages held behind it are not left
waiting for a broadcast that may never come."""

import asyncio

import pytest

from realtime import stream as stream_module
from realtime.frames import OutFrame
from realtime.outbox import Outbox
from realtime.stream import Replay, SocketStream

CONVERSATION = 7


@pytest.fixture
def short_gap_timeout(monkeypatch):
    monkeypatch.setattr(stream_module, "GAP_TIMEOUT_SECONDS", 0.01)


async def test_a_gap_whose_fill_fails_is_filled_again_without_another_broadcast(short_gap_timeout):
    received: list[str] = []
    all_three = asyncio.Event()
    fetches: list[tuple[int, int | None]] = []

    async def send(text: str) -> None:
        received.append(text)
        if len(received) == 3:
            all_three.set()

    async def journal_failing_once(conversation: int, after: int, before: int | None, limit: int) -> Replay:
        fetches.append((after, before))
        if len(fetches) == 1:
            raise ConnectionError("the shard holding the log is failing over")
        return Replay([(2, "2")], settled_through=2)

    outbox = Outbox(send, transport=None, max_bytes=10**6, max_age=10**6, on_overflow=print)
    stream = SocketStream(outbox, fetch=journal_failing_once, follows=lambda conversation_id: True)
    stream.end_first_sync_wait()
    stream.start_after(CONVERSATION, 0)
    stream.deliver(CONVERSATION, 1, OutFrame("1"))
    stream.deliver(CONVERSATION, 3, OutFrame("3"))  # 2 is missing; nothing is broadcast after this

    await asyncio.wait_for(all_three.wait(), 5)
    assert received == ["1", "2", "3"]
    assert fetches == [(1, 3), (1, 3)]
    stream.close()
