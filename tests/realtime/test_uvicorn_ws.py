"""The lighter parts realtime.uvicorn_ws gives every uvicorn connection in place of asyncio's
(docs/benchmarks.md, "Idle socket memory"): an incoming queue, a "writable" flag, and the worker's one timer
for every socket's keepalive. Each keeps the behaviour uvicorn relies on. And a connection lets the request's
headers and query string go once the application has accepted."""

import asyncio
import contextlib
from typing import Any

import websockets

from realtime.uvicorn_ws import Flag, Inbox, Timers
from tests.realtime.uvicorn_server import serving


async def test_the_inbox_hands_messages_over_in_order_and_a_waiting_reader_gets_the_next_one():
    # given an inbox with two messages, and a reader that will wait for a third
    inbox = Inbox()
    inbox.put_nowait({"n": 1})
    inbox.put_nowait({"n": 2})
    assert inbox.qsize() == 2
    assert [await inbox.get(), await inbox.get()] == [{"n": 1}, {"n": 2}]
    assert inbox.empty()
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    # when the third arrives
    inbox.put_nowait({"n": 3})
    # then the waiting reader gets it
    assert await waiting == {"n": 3}
    assert inbox.empty()
    assert inbox.qsize() == 0


async def test_the_flag_lets_waiters_through_only_once_set():
    flag = Flag()
    assert not flag.is_set()
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    await asyncio.gather(*waiters)
    assert flag.is_set()
    await flag.wait()  # set: no wait
    flag.clear()
    assert not flag.is_set()


async def test_the_workers_timers_run_in_time_order_and_a_cancelled_one_never_runs():
    # given timers set out of order, one of them cancelled
    timers = Timers()
    ran: list[str] = []
    done = asyncio.Event()
    timers.call_later(0.03, lambda: ran.append("third"))
    timers.call_later(0.01, lambda: ran.append("first"))
    cancelled = timers.call_later(0.02, lambda: ran.append("cancelled"))
    timers.call_later(0.02, lambda: ran.append("second"))
    timers.call_later(0.04, done.set)
    cancelled.cancel()
    assert timers.pending() == 4
    # when their times have come
    await done.wait()
    # then each ran once, in time order, except the cancelled one
    assert ran == ["first", "second", "third"]
    assert timers.pending() == 0


async def test_a_timer_set_by_a_running_timer_runs_too():
    # uvicorn's ping timer sets the pong deadline (and a pong the next ping) from its own callback
    timers = Timers()
    done = asyncio.Event()
    timers.call_later(0.01, lambda: timers.call_later(0.01, done.set))
    await done.wait()
    assert timers.pending() == 0


async def test_a_connection_keeps_the_requests_headers_and_query_only_until_the_application_accepts():
    # given a uvicorn server with Parley's protocol, and an application that looks at its scope's headers
    # and query string when the socket connects and again once it has accepted
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "websocket.connect"
        seen["connecting"] = list(scope["headers"]), scope["query_string"]
        await send({"type": "websocket.accept"})
        await receive()  # the client's first frame
        seen["accepted"] = list(scope["headers"]), scope["query_string"]
        await send({"type": "websocket.close"})

    async with serving(app) as port:
        # when a client connects with headers, then sends a frame
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/?token=secret", additional_headers={"X-Client": "parley-test"}
        ) as client:
            await client.send("hello")
            with contextlib.suppress(websockets.ConnectionClosed):
                await client.recv()
    # then the application read them while connecting, and the connection holds neither after
    headers, query = seen["connecting"]
    assert (b"x-client", b"parley-test") in headers
    assert query == b"token=secret"
    assert seen["accepted"] == ([], b"")
