"""Property: whatever the interleaving of live broadcasts (out of seq order, as two workers may publish them),
skips, replays after a hub reconnect, gap fills and the first sync — and however slowly the client reads —
one socket receives a conversation's messages in seq order, each exactly once, and all of them."""

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from realtime.frames import OutFrame
from realtime.outbox import Outbox
from realtime.stream import Replay, SocketStream

CONVERSATION = 7

Operation = tuple[str, int]


@st.composite
def scenarios(draw) -> tuple[list[int], list[Operation], list[int]]:
    """(the seqs that are messages, the operations in order, how many loop turns each frame's send takes)."""
    size = draw(st.integers(min_value=1, max_value=25))
    messages = sorted(draw(st.sets(st.integers(min_value=1, max_value=size), min_size=1)))
    skipped = [seq for seq in range(1, size + 1) if seq not in messages]
    live = draw(st.permutations(messages))  # each message broadcast once, in any order
    skips = draw(st.lists(st.sampled_from(skipped), unique=True)) if skipped else []  # some skips are lost
    others = draw(
        st.lists(
            st.sampled_from([("replay", 0), ("gap_fill", 0), ("first_sync", 0), ("turn", 0)]), max_size=12
        )
    )
    operations = [("broadcast", seq) for seq in live] + [("skip", seq) for seq in skips] + others
    order = draw(st.permutations(operations))
    delays = draw(st.lists(st.integers(min_value=0, max_value=3), min_size=60, max_size=60))
    return messages, list(order), delays


async def run(messages: list[int], operations: list[Operation], delays: list[int]) -> list[int]:
    received: list[int] = []
    all_received = asyncio.Event()
    turns = iter(delays * 100)

    async def slow_send(text: str) -> None:
        for _ in range(next(turns)):
            await asyncio.sleep(0)
        received.append(int(text))
        if len(received) >= len(messages):
            all_received.set()

    async def journal(conversation_id: int, after: int, before: int | None, limit: int) -> Replay:
        await asyncio.sleep(0)  # a round trip, during which other events may arrive
        found: list[tuple[int, str | None]] = [
            (seq, str(seq)) for seq in messages if seq > after and (before is None or seq < before)
        ]
        return Replay(found[:limit], settled_through=after, more=len(found) > limit)

    outbox = Outbox(slow_send, transport=None, max_bytes=10**9, max_age=10**9, on_overflow=print)
    stream = SocketStream(outbox, fetch=journal, follows=lambda conversation_id: True)
    stream.start_after(CONVERSATION, 0)
    for kind, seq in operations:
        if kind == "broadcast":
            stream.deliver(CONVERSATION, seq, OutFrame(str(seq)))
        elif kind == "skip":
            stream.deliver(CONVERSATION, seq, None)
        elif kind == "replay":  # the hub reconnected: catch up from what was delivered
            await stream.replay(CONVERSATION, after_seq=stream.last_delivered(CONVERSATION))
        elif kind == "gap_fill":
            await stream._fill_gap(CONVERSATION)
        elif kind == "first_sync":
            stream.end_first_sync_wait()
        else:
            await asyncio.sleep(0)
    # then the first sync's wait ends, and every gap left is filled as its timer would
    stream.end_first_sync_wait()
    while stream._orderer.gap(CONVERSATION):
        await stream._fill_gap(CONVERSATION)
    await asyncio.wait_for(all_received.wait(), 5)
    for _ in range(10):  # anything sent twice would come now
        await asyncio.sleep(0)
    stream.close()
    return received


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_a_socket_gets_every_message_once_in_seq_order(scenario):
    messages, operations, delays = scenario
    assert asyncio.run(run(messages, operations, delays)) == messages
