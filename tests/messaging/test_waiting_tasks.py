"""Consumer-side batching (messaging.delivery.waiting) against the real RabbitMQ and PostgreSQL: a running
persistence task stores the tasks queued behind it in its own transaction, acknowledges them only once they
are stored, and gives them back, each to run on its own, when the database refused the batch."""

import logging
import time
import uuid
from datetime import timedelta

import pytest
from django.db import DatabaseError

from messaging.delivery import waiting
from messaging.events import MessagePayload
from messaging.models import Message
from messaging.tasks import persist_messages_task
from tests.conftest import queued_for_persistence, start_persistence_worker, wait_until
from tests.messaging.factories import acknowledged_payload
from tests.messaging.refusals import ERROR, messages_refused

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _taking_not_paused(monkeypatch):
    """A test that gives tasks back pauses this process's taking (PAUSE_AFTER_GIVING_BACK_SECONDS): not the
    next test's; and what a failed test left unacknowledged goes back to the queue, to be purged."""
    monkeypatch.setattr(waiting._taker, "resume_at", 0.0)
    yield
    waiting._taker.forget()


def queue_tasks(team, sender, seqs, **fields) -> list[MessagePayload]:
    """One persistence task per message, queued where no worker runs yet."""
    messages = [acknowledged_payload(team, sender, seq=seq, **fields) for seq in seqs]
    for message in messages:
        persist_messages_task.apply_async(args=([message],))
    return messages


def stored_ids() -> set[uuid.UUID]:
    return set(Message.objects.values_list("id", flat=True))


def ids(messages: list[MessagePayload]) -> set[uuid.UUID]:
    return {uuid.UUID(m["id"]) for m in messages}


def test_a_worker_facing_a_backlog_stores_it_in_a_few_tasks(ada, team):
    # given: a backlog of 40 tasks of one message each (web workers publish one per send at low rates)
    queued = queue_tasks(team, ada, range(1, 41))
    assert queued_for_persistence() == 40

    # when: a worker starts on it
    worker = start_persistence_worker()
    try:
        wait_until(lambda: len(stored_ids()) == 40, "the backlog to be stored")
        worker.wait_idle()
        # then: every message is stored once, the queue is empty, and the worker ran a few tasks, not 40
        assert stored_ids() == ids(queued)
        assert queued_for_persistence() == 0
        assert worker.finished <= 3, worker.finished
    finally:
        worker.stop()


def test_tasks_taken_are_acknowledged_only_once_settled(ada, team):
    queue_tasks(team, ada, (1, 2, 3))

    # a task takes what waits, within its room: two of the three
    taken = waiting.take_waiting(room=2)
    assert [m["seq"] for m in taken.messages] == [1, 2]
    assert queued_for_persistence() == 1

    # given back, they are queued again (a reject is not confirmed: the broker requeues them soon after)
    taken.give_back()
    wait_until(lambda: queued_for_persistence() == 3, "the given-back tasks to be queued again")

    # acknowledged, they are gone
    waiting._taker.resume_at = 0.0  # (the give-back paused taking)
    taken = waiting.take_waiting(room=10)
    assert len(taken.messages) == 3
    taken.acknowledge()
    assert queued_for_persistence() == 0
    assert not waiting.take_waiting(room=10).taken


def test_a_message_the_database_refuses_takes_no_waiting_task_with_it(ada, team):
    # given: three healthy tasks waiting, and a task whose message the database refuses (a NUL in its text)
    queue_tasks(team, ada, (2, 3, 4))
    refused = acknowledged_payload(team, ada, seq=1, body="nul \x00 byte")

    # when: that task runs
    with pytest.raises(DatabaseError):
        persist_messages_task.run([refused])

    # then: nothing was stored, and the healthy tasks are back on the queue, to run on their own
    assert stored_ids() == set()
    wait_until(lambda: queued_for_persistence() == 3, "the healthy tasks to be queued again")

    # and a healthy task is stored whatever waits behind it
    waiting._taker.resume_at = 0.0
    persist_messages_task.apply_async(args=([refused],))
    own = acknowledged_payload(team, ada, seq=5)
    persist_messages_task.run([own])
    assert uuid.UUID(own["id"]) in stored_ids()
    assert uuid.UUID(refused["id"]) not in stored_ids()
    wait_until(lambda: queued_for_persistence() == 4, "the waiting tasks to be queued again")


def test_a_batch_refused_with_the_waiting_tasks_is_logged_without_its_words(ada, team, caplog):
    # given: two tasks waiting, and a database refusing new messages with the row in its error's DETAIL
    queue_tasks(team, ada, (2, 3))
    refused = acknowledged_payload(team, ada, seq=1, body="the words ada wrote")

    # when: a task runs
    with messages_refused(), caplog.at_level(logging.INFO), pytest.raises(DatabaseError):
        persist_messages_task.run([refused])

    # then: the line saying the waiting tasks go back tells the error by its class and first line only
    assert "the words ada wrote" not in caplog.text
    assert f"storing 2 waiting tasks with this one failed: {ERROR}" in caplog.messages
    wait_until(lambda: queued_for_persistence() == 2, "the waiting tasks to be queued again")


def publish_steadily(team, sender, seqs, *, every_seconds: float) -> list[MessagePayload]:
    """One task per message, published at a steady pace (as web workers do below the batching rate)."""
    messages = []
    for seq in seqs:
        message = acknowledged_payload(team, sender, seq=seq)
        persist_messages_task.apply_async(args=([message],))
        messages.append(message)
        time.sleep(every_seconds)  # the pace of the sends, not a wait for an outcome
    return messages


def test_messages_arriving_one_by_one_are_stored_together_within_the_gathering_window(ada, team):
    # given: a worker whose tasks wait until their oldest message is 0.5 s old
    worker = start_persistence_worker(PERSISTENCE_GATHER_MS="500")
    try:
        # when: eight messages come in 30 ms apart, each its own task
        sent = publish_steadily(team, ada, range(1, 9), every_seconds=0.03)

        # then: all are stored, by one or two tasks instead of eight
        wait_until(lambda: len(stored_ids()) == 8, "the messages to be stored")
        worker.wait_idle()
        assert stored_ids() == ids(sent)
        assert worker.finished <= 2, worker.finished
    finally:
        worker.stop()


def test_a_message_older_than_the_window_is_stored_without_waiting(ada, team):
    # given: a worker with a gathering window far longer than the test's patience
    worker = start_persistence_worker(PERSISTENCE_GATHER_MS="60000")
    try:
        # when: a message acknowledged a minute and a half ago is queued (the worker was down, say)
        late = acknowledged_payload(team, ada, seq=1, age=timedelta(seconds=90))
        persist_messages_task.apply_async(args=([late],))

        # then: it is stored at once, not a minute later
        wait_until(lambda: stored_ids() == ids([late]), "the late message to be stored", timeout=5)
        worker.wait_idle()
    finally:
        worker.stop()
