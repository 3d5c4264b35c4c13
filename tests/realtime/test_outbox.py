"""A socket's outbox (realtime.outbox): putting a frame never waits for the client, frames leave in order,
and a client that falls too far behind (in bytes or in age) is given up on, once, with nothing sent after."""

import asyncio

import pytest

from realtime.frames import OutFrame
from realtime.outbox import Outbox, frame_size, held_writes


class Client:
    """The far end of one socket: it takes frames when `reading`, and the server buffers what it has not taken
    (as a transport would)."""

    def __init__(self, *, reading: bool = True) -> None:
        self.received: list[str] = []
        self.took_one = asyncio.Event()
        self.buffered = 0
        self.reading = asyncio.Event()
        if reading:
            self.reading.set()

    async def send(self, text: str) -> None:
        await self.reading.wait()  # like uvicorn's send while the connection is paused
        self.received.append(text)
        self.took_one.set()

    def buffered_bytes(self) -> int:
        return self.buffered

    def abort(self) -> None:
        raise AssertionError("the outbox never drops a connection itself")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def outbox_for(client: Client, *, max_bytes: int = 10_000, max_age: float = 10.0, clock=None):
    overflows: list[str] = []
    outbox = Outbox(
        client.send,
        transport=client,
        max_bytes=max_bytes,
        max_age=max_age,
        on_overflow=overflows.append,
        clock=clock,
    )
    return outbox, overflows


async def drained(outbox: Outbox, client: Client, count: int) -> None:
    while len(client.received) < count:
        client.took_one.clear()
        await client.took_one.wait()


async def test_a_client_that_stops_reading_holds_up_no_other_socket():
    # given two sockets, one whose client has stopped reading
    stalled, healthy = Client(reading=False), Client()
    stalled_box, _ = outbox_for(stalled)
    healthy_box, _ = outbox_for(healthy)
    # when every broadcast is handed to both, as the hub does
    for n in range(50):
        stalled_box.put(OutFrame(f"frame {n}"))
        healthy_box.put(OutFrame(f"frame {n}"))
    await asyncio.wait_for(drained(healthy_box, healthy, 50), timeout=5)
    # then the healthy socket got everything, in order, while the other still waits
    assert healthy.received == [f"frame {n}" for n in range(50)]
    assert stalled.received == []
    # and once the slow client reads again, it gets everything in order too
    stalled.reading.set()
    await asyncio.wait_for(drained(stalled_box, stalled, 50), timeout=5)
    assert stalled.received == healthy.received
    stalled_box.stop(), healthy_box.stop()


async def test_a_client_too_far_behind_in_bytes_is_given_up_once():
    # given a stalled client whose connection already buffers 4,000 bytes
    client = Client(reading=False)
    client.buffered = 4_000
    outbox, overflows = outbox_for(client, max_bytes=10_000)
    frame = "x" * 996  # 1,000 bytes with its header
    # when frames keep coming
    for _ in range(6):
        outbox.put(OutFrame(frame))
    assert overflows == []  # 4,000 + 6,000: at the limit, not past it
    outbox.put(OutFrame(frame))
    outbox.put(OutFrame(frame))
    # then it is given up on once, and nothing more is sent even when it reads again
    assert overflows == ["bytes"]
    client.reading.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert client.received == []
    outbox.stop()


async def test_a_client_too_far_behind_in_time_is_given_up():
    # given a stalled client and a quiet conversation (few bytes)
    clock, client = Clock(), Client(reading=False)
    outbox, overflows = outbox_for(client, max_age=10.0, clock=clock)
    outbox.put(OutFrame("first"))
    # when the oldest frame it has not taken waits past the age limit
    clock.now = 9.5
    outbox.put(OutFrame("second"))
    assert overflows == []
    clock.now = 10.5
    outbox.put(OutFrame("third"))
    # then
    assert overflows == ["age"]
    outbox.stop()


async def test_a_client_that_keeps_up_is_never_given_up_however_long_it_lives():
    # given a client that takes every frame soon after it is written
    clock, client = Clock(), Client()
    outbox, overflows = outbox_for(client, max_age=10.0, clock=clock)
    # when it lives for a long time, the server always holding the frame last written
    for n in range(100):
        clock.now = n
        outbox.put(OutFrame(f"frame {n}"))
        await drained(outbox, client, n + 1)
        client.buffered = frame_size(f"frame {n}")
    # then
    assert overflows == []
    outbox.stop()


async def test_what_the_server_buffers_counts_toward_the_age():
    # given a client that stopped taking bytes: everything written so far stays in the server's buffer
    clock, client = Clock(), Client()
    outbox, overflows = outbox_for(client, max_age=10.0, clock=clock)
    outbox.put(OutFrame("one"))
    await drained(outbox, client, 1)
    client.buffered = frame_size("one")
    # when the frame still buffered outlives the limit (Daphne's send never waits: nothing queues here)
    clock.now = 11
    outbox.put(OutFrame("two"))
    # then
    assert overflows == ["age"]
    outbox.stop()


@pytest.mark.parametrize(("length", "header"), [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)])
def test_frame_size_counts_the_websocket_header(length, header):
    assert frame_size("x" * length) == length + header


class Connection:
    """A connection whose server writes encoded frames as they are (realtime.uvicorn_ws), in memory."""

    def __init__(self, *, compressed: bool = False) -> None:
        self.wire: list[bytes] = []
        self.sent_through_asgi: list[str] = []
        self.compressed = compressed
        self.writable = asyncio.Event()
        self.writable.set()
        self.holding = False  # the client stopped taking bytes: whatever is written stays in the buffer
        self.buffered = 0

    def can_write(self) -> bool:
        return not self.compressed

    def paused(self) -> bool:
        return not self.writable.is_set()

    def idle(self) -> bool:
        return self.can_write() and not self.paused() and not self.buffered

    async def resumed(self) -> None:
        await self.writable.wait()

    def write(self, wire: bytes) -> None:
        self.wire.append(wire)
        if self.holding:
            self.buffered += len(wire)

    def buffered_bytes(self) -> int:
        return self.buffered

    def abort(self) -> None:
        raise AssertionError("the outbox never drops a connection itself")

    async def send(self, text: str) -> None:
        self.sent_through_asgi.append(text)


def fast_outbox(connection: Connection, *, overflows: list[str] | None = None, clock=None) -> Outbox:
    return Outbox(
        connection.send,
        transport=None,
        max_bytes=10_000,
        max_age=10.0,
        on_overflow=(overflows if overflows is not None else []).append,
        frames=connection,
        clock=clock,
    )


async def test_a_connection_that_takes_frames_gets_them_written_at_once_encoded_once():
    connection, frame = Connection(), OutFrame('{"type":"pong"}')
    outbox = fast_outbox(connection)
    outbox.put(frame)
    assert connection.wire == [frame.wire]  # no task, no await: written as it was put
    assert connection.sent_through_asgi == []


async def test_a_paused_connection_gets_what_waited_in_order_before_anything_newer():
    # given a connection whose buffer is full
    connection = Connection()
    outbox = fast_outbox(connection)
    connection.writable.clear()
    for n in range(3):
        outbox.put(OutFrame(f"frame {n}"))
    assert connection.wire == []
    # when it drains, and a new frame comes meanwhile
    connection.writable.set()
    outbox.put(OutFrame("frame 3"))
    await asyncio.wait_for(outbox.room(), 5)
    while outbox._writer is not None:
        await asyncio.wait_for(asyncio.shield(outbox._writer), 5)
    # then
    assert connection.wire == [OutFrame(f"frame {n}").wire for n in range(4)]


async def test_a_compressed_connection_is_sent_through_asgi():
    connection = Connection(compressed=True)
    outbox = fast_outbox(connection)
    outbox.put(OutFrame("hello"))
    assert outbox._writer is not None
    await asyncio.wait_for(outbox._writer, 5)
    assert (connection.wire, connection.sent_through_asgi) == ([], ["hello"])


async def test_a_frame_written_straight_out_counts_toward_the_age_while_the_server_holds_it():
    # given a connection that took everything so far, then a client that stops reading
    clock, connection, overflows = Clock(), Connection(), []
    outbox = fast_outbox(connection, overflows=overflows, clock=clock)
    outbox.put(OutFrame("taken"))
    connection.holding = True
    outbox.put(OutFrame("held"))  # written at once: the connection held nothing
    # when the frame the server still holds outlives the limit
    clock.now = 11
    outbox.put(OutFrame("late"))
    # then the client is given up on, and nothing after the held frame was written
    assert overflows == ["age"]
    assert connection.wire == [OutFrame("taken").wire, OutFrame("held").wire]


async def test_a_frame_over_the_limit_is_never_written_even_to_a_connection_that_holds_nothing():
    connection, overflows = Connection(), []
    outbox = fast_outbox(connection, overflows=overflows)
    outbox.put(OutFrame("x" * 10_000))  # 10,004 bytes with its header: over the 10,000 limit
    assert (overflows, connection.wire) == (["bytes"], [])


async def test_a_sockets_frames_of_one_batch_leave_as_one_write_in_order():
    # given two sockets whose clients keep up
    first, second = Connection(), Connection()
    first_box, second_box = fast_outbox(first), fast_outbox(second)
    frames = [OutFrame(f"frame {n}") for n in range(3)]
    # when the hub hands out one read's broadcasts: three to the first socket, one to the second
    with held_writes.get().batch():
        for frame in frames:
            first_box.put(frame)
        second_box.put(frames[0])
        # then nothing is written while the batch is open, and the held frames count as not taken
        assert (first.wire, second.wire) == ([], [])
        assert first_box.pending_bytes() == sum(frame_size(frame.text) for frame in frames)
    # and each socket's frames leave in one write, in order, once it closes
    assert first.wire == [b"".join(frame.wire for frame in frames)]
    assert second.wire == [frames[0].wire]
    assert first_box.pending_bytes() == 0
    # and outside a batch a frame goes straight out, as before
    first_box.put(frames[1])
    assert first.wire[-1] == frames[1].wire


async def test_a_socket_closed_during_a_batch_writes_nothing_it_held():
    connection = Connection()
    outbox = fast_outbox(connection)
    with held_writes.get().batch():
        outbox.put(OutFrame("never sent"))
        outbox.stop()  # the socket is going away
    assert connection.wire == []
