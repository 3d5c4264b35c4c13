"""A gap that outlives GAP_TIMEOUT_SECONDS is filled from the journal, even when the journal fails at first
and nothing else is broadcast in the conversation afterwards: the messages held behind it are not left
waiting for a broadcast that may never come."""

import asyncio

import pytest

from realtime import stream as stream_module
from realtime.frames import OutFrame
from realtime.outbox import Outbox
from realtime.stream import Fetch, Replay, SocketStream

CONVERSATION = 7


@pytest.fixture
def short_gap_timeout(monkeypatch):
    monkeypatch.setattr(stream_module, "GAP_TIMEOUT_SECONDS", 0.01)


class Received:
    """What the socket's client got; `all_arrived` is set once `count` frames have come."""

    def __init__(self, count: int) -> None:
        self.texts: list[str] = []
        self.all_arrived = asyncio.Event()
        self._count = count

    async def send(self, text: str) -> None:
        self.texts.append(text)
        if len(self.texts) == self._count:
            self.all_arrived.set()


def started_stream(received: Received, fetch: Fetch) -> SocketStream:
    """A socket past its first sync, following CONVERSATION from its start."""
    outbox = Outbox(received.send, transport=None, max_bytes=10**6, max_age=10**6, on_overflow=print)
    stream = SocketStream(outbox, fetch=fetch, follows=lambda conversation_id: True)
    stream.end_first_sync_wait()
    stream.start_after(CONVERSATION, 0)
    return stream


async def test_a_gap_whose_fill_fails_is_filled_again_without_another_broadcast(short_gap_timeout):
    received = Received(3)
    fetches: list[tuple[int, int | None]] = []

    async def journal_failing_once(conversation: int, after: int, before: int | None, limit: int) -> Replay:
        fetches.append((after, before))
        if len(fetches) == 1:
            raise ConnectionError("the shard holding the log is failing over")
        return Replay([(2, "2")], settled_through=2)

    stream = started_stream(received, journal_failing_once)
    stream.deliver(CONVERSATION, 1, OutFrame("1"))
    stream.deliver(CONVERSATION, 3, OutFrame("3"))  # 2 is missing; nothing is broadcast after this

    await asyncio.wait_for(received.all_arrived.wait(), 5)
    assert received.texts == ["1", "2", "3"]
    assert fetches == [(1, 3), (1, 3)]
    stream.close()


async def test_a_gap_gets_its_whole_wait_although_an_earlier_one_that_closed_had_started_the_clock(
    monkeypatch,
):
    """Under load, with several workers, seqs arrive a little out of order all the time: a gap that opens
    just after another closed must not be given up on at the first one's deadline (its message delivered
    late and out of order), but only once it has itself lasted GAP_TIMEOUT_SECONDS."""
    monkeypatch.setattr(stream_module, "GAP_TIMEOUT_SECONDS", 0.4)
    loop = asyncio.get_running_loop()
    received = Received(5)
    fetches: list[tuple[int, int | None, float]] = []

    async def journal(conversation: int, after: int, before: int | None, limit: int) -> Replay:
        fetches.append((after, before, loop.time()))
        return Replay([(4, "4")], settled_through=4)

    stream = started_stream(received, journal)
    stream.deliver(CONVERSATION, 1, OutFrame("1"))
    stream.deliver(CONVERSATION, 3, OutFrame("3"))  # 2 is on its way
    await asyncio.sleep(0.2)  # for half the wait
    stream.deliver(CONVERSATION, 2, OutFrame("2"))  # and arrives
    stream.deliver(CONVERSATION, 5, OutFrame("5"))  # now 4 is on its way
    second_gap_opened = loop.time()

    await asyncio.wait_for(received.all_arrived.wait(), 5)
    assert received.texts == ["1", "2", "3", "4", "5"]
    assert [(after, before) for after, before, _ in fetches] == [(3, 5)]
    assert fetches[0][2] - second_gap_opened >= 0.4
    stream.close()
