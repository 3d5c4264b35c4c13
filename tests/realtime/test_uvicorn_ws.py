"""The lighter parts realtime.uvicorn_ws gives every uvicorn connection in place of asyncio's
(docs/benchmarks.md, "Idle socket memory"): an incoming queue, a "writable" flag, and the worker's one timer
for every socket's keepalive. Each keeps the behaviour uvicorn relies on."""

import asyncio

from realtime.uvicorn_ws import Flag, Inbox, Timers


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
