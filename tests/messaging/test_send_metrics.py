"""The socket path moves its metrics: sockets open, sends and acks by outcome, latencies, error frames, sync
replays, and on the Celery side rows stored, persistence lag and batch sizes (docs/operations.md)."""

import uuid
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from messaging.tasks import persist_messages_task
from tests.messaging.factories import acknowledged_payload

pytestmark = pytest.mark.django_db(transaction=True)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def snapshot() -> dict[str, float]:
    return {
        "sockets": value("parley_open_sockets"),
        "sent_new": value("parley_message_sends_total", outcome="new"),
        "sent_duplicate": value("parley_message_sends_total", outcome="duplicate"),
        "acked_new": value("parley_message_acks_total", outcome="new"),
        "acked_duplicate": value("parley_message_acks_total", outcome="duplicate"),
        "ack_latency": value("parley_ack_latency_seconds_count"),
        "fanout_latency": value("parley_fanout_latency_seconds_count"),
        "not_found": value("parley_error_frames_total", code="not_found"),
        "syncs": value("parley_sync_replays_total"),
        "replayed": value("parley_sync_replayed_messages_total"),
        "stored": value("parley_messages_stored_total"),
        "lag": value("parley_persistence_lag_seconds_count"),
        "batches": value("parley_persistence_batch_size_count"),
    }


def moved(before: dict[str, float]) -> dict[str, float]:
    after = snapshot()
    return {key: after[key] - before[key] for key in before}


def send_frame(conversation_id: int, client_id: str | None = None) -> dict:
    return {
        "type": "message.send",
        "conversation": conversation_id,
        "body": "hi",
        "client_id": client_id or str(uuid.uuid4()),
    }


async def test_a_send_moves_the_web_metrics_on_its_path(connect, ada, bob, team):
    # given
    before = snapshot()
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    assert moved(before)["sockets"] == 2

    # when: ada sends, bob receives it
    frame = send_frame(team.pk)
    await ada_tab.send(frame)
    await ada_tab.ack_for(frame["client_id"])
    await bob_tab.receive_type("message.new")

    # then
    delta = moved(before)
    assert delta["sent_new"] == 1
    assert delta["acked_new"] == 1
    assert delta["ack_latency"] == 1
    assert delta["fanout_latency"] >= 1  # once per worker that has followers (here one, for ada and bob)


async def test_retries_refusals_and_syncs_are_counted(connect, ada, eve, team):
    ada_tab, eve_tab = await connect(ada), await connect(eve)
    before = snapshot()
    frame = send_frame(team.pk)

    # when: a retried send, a refused send, a sync
    await ada_tab.send(frame)
    await ada_tab.ack_for(frame["client_id"])
    await ada_tab.send(frame)
    await ada_tab.ack_for(frame["client_id"])
    await eve_tab.send(send_frame(team.pk))
    await eve_tab.receive_type("error")
    await ada_tab.send({"type": "sync", "since": {str(team.pk): 0}})
    await ada_tab.receive_type("sync.done", skip=("presence", "message.new"))

    # then
    delta = moved(before)
    assert (delta["sent_new"], delta["sent_duplicate"]) == (1, 1)
    assert (delta["acked_new"], delta["acked_duplicate"]) == (1, 1)
    assert delta["not_found"] == 1
    assert delta["syncs"] == 1
    assert delta["replayed"] == 1


async def test_closing_a_socket_lowers_the_gauge(connect, ada, team):
    before = snapshot()
    tab = await connect(ada)
    assert moved(before)["sockets"] == 1

    await tab.close()

    assert moved(before)["sockets"] == 0


def test_storing_a_batch_observes_its_size_and_each_rows_lag(ada, team):
    # given: two messages acknowledged 2 s ago
    batch = [acknowledged_payload(team, ada, seq=seq, age=timedelta(seconds=2)) for seq in (1, 2)]
    before = snapshot()
    lag_sum = value("parley_persistence_lag_seconds_sum")

    # when: the persistence task stores them, then gets the same batch again (a redelivery)
    persist_messages_task.apply(args=(batch,))
    persist_messages_task.apply(args=(batch,))

    # then: two batches, two rows, two lags of at least 2 s; the redelivery stored and observed nothing
    delta = moved(before)
    assert delta["batches"] == 2
    assert delta["stored"] == 2
    assert delta["lag"] == 2
    assert value("parley_persistence_lag_seconds_sum") - lag_sum >= 4
