"""Concurrent requests sharing round trips (messaging.delivery.coalesce), and the journal built on it, against
the real Redis: concurrent sends each get their own seq and their own outcome."""

import asyncio
import json
import uuid

import pytest
from redis.asyncio.client import PubSub

import core.redis
from core.redis import get_async_redis
from messaging import events
from messaging.delivery.coalesce import Coalescer
from messaging.delivery.journal import get_journal
from realtime.frames import to_json
from realtime.hub import Broadcast, BroadcastKind


class Recorder:
    """Answers "<item>!" per item, "bad" with an error of its own; a batch stays in flight until released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.in_flight = asyncio.Event()
        self.released = asyncio.Event()
        self.released.set()
        self.coalescer: Coalescer[str, str] = Coalescer(self.run_batch)

    async def run_batch(self, items: list[str]) -> list[str | Exception]:
        self.batches.append(items)
        self.in_flight.set()
        await self.released.wait()
        return [ValueError(item) if item == "bad" else f"{item}!" for item in items]

    async def hold_a_batch_in_flight(self) -> asyncio.Task[str]:
        self.released.clear()
        blocker = asyncio.create_task(self.coalescer.submit("blocker"))
        await self.in_flight.wait()
        return blocker


async def test_a_request_to_an_idle_coalescer_goes_out_at_once_on_its_own():
    recorder = Recorder()

    assert await recorder.coalescer.submit("a") == "a!"
    assert await recorder.coalescer.submit("b") == "b!"
    assert recorder.batches == [["a"], ["b"]]


async def test_requests_made_while_a_batch_is_in_flight_share_the_next_one():
    recorder = Recorder()
    blocker = await recorder.hold_a_batch_in_flight()

    # when: three more arrive while the first is in flight
    rest = asyncio.gather(*(recorder.coalescer.submit(item) for item in ("a", "b", "c")))
    await asyncio.sleep(0)  # they queue
    recorder.released.set()

    # then: each requester gets its own answer, and the three went out together, in arrival order
    assert (await blocker, await rest) == ("blocker!", ["a!", "b!", "c!"])
    assert recorder.batches == [["blocker"], ["a", "b", "c"]]


async def test_a_request_that_failed_on_its_own_fails_only_its_requester():
    recorder = Recorder()
    blocker = await recorder.hold_a_batch_in_flight()
    outcomes = asyncio.gather(
        *(recorder.coalescer.submit(item) for item in ("a", "bad", "c")), return_exceptions=True
    )
    await asyncio.sleep(0)
    recorder.released.set()

    await blocker
    a, bad, c = await outcomes
    assert (a, c) == ("a!", "c!")
    assert isinstance(bad, ValueError)
    assert recorder.batches[1] == ["a", "bad", "c"]


async def test_a_failed_round_trip_fails_every_request_of_its_batch_and_not_the_next():
    attempts: list[list[str]] = []

    async def run_batch(items: list[str]) -> list[str]:
        attempts.append(items)
        if len(attempts) == 1:
            raise ConnectionError("Redis restarting")
        return items

    coalescer: Coalescer[str, str] = Coalescer(run_batch)
    outcomes = await asyncio.gather(*(coalescer.submit(item) for item in ("a", "b")), return_exceptions=True)
    assert [type(outcome) for outcome in outcomes] == [ConnectionError, ConnectionError]

    assert await coalescer.submit("c") == "c"
    assert attempts == [["a", "b"], ["c"]]


async def test_a_busy_paced_coalescer_lets_the_requests_of_one_interval_share_a_batch():
    batches: list[list[str]] = []

    async def run_batch(items: list[str]) -> list[str]:
        batches.append(items)
        return items

    coalescer: Coalescer[str, str] = Coalescer(run_batch, min_interval=0.5, busy_rate=2)
    assert await coalescer.submit("a") == "a"  # the first this second: quiet, so it went at once

    # when: a second request makes it busy, and a third comes while the second waits out a's interval
    second = asyncio.ensure_future(coalescer.submit("b"))
    await asyncio.sleep(0.05)
    third = asyncio.ensure_future(coalescer.submit("c"))

    # then: the two share one batch (unpaced, each would have gone on its own)
    assert await asyncio.gather(second, third) == ["b", "c"]
    assert batches == [["a"], ["b", "c"]]


with_database = pytest.mark.django_db(transaction=True)


def message(conversation_id: int, seq: int, sender_id: int, client_id: uuid.UUID) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "conversation": conversation_id,
        "seq": seq,
        "sender": {"id": sender_id},
        "body": f"message {seq}",
        "client_id": str(client_id),
    }


@with_database
async def test_concurrent_sends_each_get_their_own_seq_and_a_repeated_client_id_is_told_it_is_in_flight(
    ada, team
):
    journal = get_journal()
    client_ids = [uuid.uuid4() for _ in range(20)]

    # when: twenty sends and a repeat of the first reserve at once (they share round trips)
    reservations = await asyncio.gather(
        *(
            journal.reserve(sender_id=ada.pk, client_id=client_id, conversation_id=team.pk)
            for client_id in [*client_ids, client_ids[0]]
        )
    )

    # then: the twenty hold twenty consecutive seqs, and the repeat is refused while the first is in flight
    assert sorted(r.seq for r in reservations[:20]) == list(range(1, 21))
    assert (reservations[20].seq, reservations[20].existing) == (None, None)  # in flight: neither
    assert reservations[20].seq is None


async def next_broadcast(subscriber: PubSub) -> Broadcast:
    while True:  # past the subscription's confirmation
        reply = await subscriber.get_message(timeout=1)
        if reply is not None and reply["type"] == "message":
            return Broadcast.decode(reply["data"])


@with_database
async def test_concurrent_commits_are_each_replayable_and_broadcast_in_commit_order(ada, team):
    journal = get_journal()
    channel = f"test-commits-{uuid.uuid4()}"
    subscriber = get_async_redis().pubsub()
    await subscriber.subscribe(channel)
    messages = [message(team.pk, seq, ada.pk, uuid.uuid4()) for seq in range(1, 11)]

    await asyncio.gather(
        *(
            journal.commit(
                m,
                then_publish=(channel, Broadcast(BroadcastKind.EVENT, team.pk, m["seq"], text=frame_of(m))),
            )
            for m in messages
        )
    )

    async with asyncio.timeout(5):
        heard = [(await next_broadcast(subscriber)).seq for _ in messages]
    await subscriber.aclose()
    assert heard == list(range(1, 11))
    replayed = await journal.replay(team.pk, after_seq=0)
    assert [json.loads(text or "")["message"]["seq"] for _, text in replayed.frames] == list(range(1, 11))
    remembered = await get_async_redis().get(f"idem:{ada.pk}:{messages[3]['client_id']}")
    assert json.loads(remembered)["message"] == messages[3]


def frame_of(message) -> str:
    return to_json(events.message_new(message))


@with_database
async def test_reserves_and_commits_made_at_once_each_get_their_own_outcome_in_order(ada, team):
    journal = get_journal()
    client_ids = [uuid.uuid4() for _ in range(3)]
    reserved = [
        await journal.reserve(sender_id=ada.pk, client_id=client_id, conversation_id=team.pk)
        for client_id in client_ids[:2]
    ]
    earlier, sent = (
        message(team.pk, r.seq or 0, ada.pk, client_id)
        for r, client_id in zip(reserved, client_ids, strict=False)
    )

    # when: two messages are committed while the second one's client retries it and sends the next, at once
    _, _, retry, new = await asyncio.gather(
        journal.commit(earlier),
        journal.commit(sent),
        journal.reserve(sender_id=ada.pk, client_id=client_ids[1], conversation_id=team.pk),
        journal.reserve(sender_id=ada.pk, client_id=client_ids[2], conversation_id=team.pk),
    )

    # then: the retry, made after the commit, gets the committed message (not "still being sent"), and the
    # new send the next seq
    assert retry.existing == sent
    assert new.seq == sent["seq"] + 1


@with_database
async def test_a_round_trip_redis_does_not_answer_fails_at_its_deadline_and_the_next_one_works(
    ada, team, monkeypatch
):
    monkeypatch.setattr(core.redis, "SOCKET_TIMEOUT_SECONDS", 0.2)
    journal = get_journal()
    redis = get_async_redis()
    await redis.client_pause(5000, all=False)  # Redis holds every write (a reserve is one) for 5 s
    try:
        # when: a send reserves its seq while Redis does not answer
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimeoutError):
            await journal.reserve(sender_id=ada.pk, client_id=uuid.uuid4(), conversation_id=team.pk)
        waited = asyncio.get_running_loop().time() - started
    finally:
        await redis.client_unpause()

    # then: it failed at the round trip's deadline, not when Redis answered; once Redis answers, sends work
    assert waited < 2
    reservation = await journal.reserve(sender_id=ada.pk, client_id=uuid.uuid4(), conversation_id=team.pk)
    assert reservation.seq is not None


async def commit_all(journal, messages: list[dict]) -> None:
    await asyncio.gather(*(journal.commit(m) for m in messages))


@with_database
async def test_sockets_filling_the_same_gap_at_once_share_one_fetch(ada, team):
    # given: the log holds seqs 1, 2, 4 and 5 of a conversation, and 3 is missing (its send still on its way)
    journal = get_journal()
    await commit_all(journal, [message(team.pk, seq, ada.pk, uuid.uuid4()) for seq in (1, 2, 4, 5)])

    # when: ten sockets of this worker, holding 4 behind the gap, ask for it at once (a gap timer each)
    fills = [asyncio.ensure_future(journal.replay(team.pk, after_seq=2, before_seq=4)) for _ in range(10)]
    await asyncio.sleep(0)  # every request is made while the first fetch is in flight
    fills[0].cancel()  # and one socket closes meanwhile
    replays = await asyncio.gather(*fills[1:])

    # then: one fetch (the log, then storage) answered the other nine, with what is there: nothing yet
    assert all(replay is replays[0] for replay in replays)
    assert (replays[0].frames, replays[0].settled_through) == ([], 2)
    assert fills[0].cancelled()
    # and a socket asking again later fetches afresh: what was fetched is not kept
    await commit_all(journal, [message(team.pk, 3, ada.pk, uuid.uuid4())])
    later = await journal.replay(team.pk, after_seq=2, before_seq=4)
    assert [seq for seq, _ in later.frames] == [3]
