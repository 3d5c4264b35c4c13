"""A dead-lettered persistence task shows on the staff status page and is re-queued from it, then stored."""

import logging
from datetime import timedelta

import pytest
from django.test import Client
from kombu import Connection
from prometheus_client import REGISTRY

from messaging.delivery.persistence import dead_letter
from messaging.models import Message
from messaging.services import messages_store
from messaging.tasks import MAX_RETRIES, persist_messages_task
from operations import selectors
from operations.selectors import dead_letters_list, queue_depths
from operations.services import dead_letters_requeue
from tests.accounts.factories import UserFactory
from tests.conftest import wait_until
from tests.messaging.factories import acknowledged_payload
from tests.messaging.refusals import ERROR, accept_messages, messages_refused

pytestmark = pytest.mark.django_db(transaction=True)


def acknowledged(conversation, *, seq: int) -> dict:
    sender = conversation.memberships.first().user
    payload = acknowledged_payload(conversation, sender, seq=seq, age=timedelta(minutes=3))
    return {**payload, "body": "kept out of the status page"}


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_dead_letter_is_listed_and_requeued_from_the_admin(
    dead_letter_queue, team, staff, persistence_worker
):
    # given: a batch dead-lettered while the database was refusing it
    message = acknowledged(team, seq=1)
    dead_before = counter("parley_dead_lettered_messages_total", reason="unstorable")
    dead_letter([message])
    assert counter("parley_dead_lettered_messages_total", reason="unstorable") - dead_before == 1
    wait_until(lambda: queue_depths()[dead_letter_queue] == 1, "one dead letter", timeout=20)
    client = staff_client(staff)

    # when: staff look at the status page
    page = client.get("/admin/status/")

    # then: the dead letter is there, described without its body
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-figure="dead_letters">1<' in html
    assert str(team.pk) in html
    assert "Re-queue all dead letters" in html
    assert message["body"] not in html
    [listed] = dead_letters_list()
    assert listed.message_ids == [message["id"]]

    # when: they re-queue it, after the fix
    requeued_before = counter("parley_dead_letters_requeued_total")
    response = client.post("/admin/status/", {"requeue": "1"})

    # then: it leaves the dead-letter queue and the worker stores it
    assert response.status_code == 302
    assert response["Location"] == "/admin/status/"
    wait_until(lambda: Message.objects.filter(pk=message["id"]).exists(), "the re-queued message", timeout=20)
    assert queue_depths()[dead_letter_queue] == 0
    assert counter("parley_dead_letters_requeued_total") - requeued_before == 1
    assert "None. Every acknowledged message" in client.get("/admin/status/").content.decode()


def test_a_dead_letter_keeps_the_task_id_its_error_was_logged_under(dead_letter_queue, team, staff, caplog):
    # given: a message whose seq another message holds, which the database refuses
    messages_store(messages=[acknowledged(team, seq=1)])
    clash = acknowledged(team, seq=1)

    # when: its persistence task runs
    with caplog.at_level(logging.ERROR, logger="messaging.tasks"):
        persist_messages_task.apply(args=([clash],), task_id="7e57-task-id")

    # then: the status page lists it under that task's id, whose log line names the message and the error
    wait_until(lambda: queue_depths()[dead_letter_queue] == 1, "one dead letter", timeout=20)
    assert "<code>7e57-task-id</code>" in staff_client(staff).get("/admin/status/").content.decode()
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("dead-lettering")]
    assert f"{clash['id']} (IntegrityError: a message's seq is held by another message)" in line


WORDS = "the words ada wrote"


@pytest.fixture
def refused(transactional_db):
    """The database refuses new messages, its error's DETAIL holding the row (tests/messaging/refusals.py)."""
    with messages_refused():
        yield


def test_a_batch_out_of_retries_is_dead_lettered_and_logged_without_its_words(
    dead_letter_queue, team, refused, persistence_worker
):
    # given: a batch the database refused at every retry but the last
    message = {**acknowledged(team, seq=1), "body": WORDS}
    persist_messages_task.apply_async(args=([message],), retries=MAX_RETRIES)

    # when: the worker tries it a last time, refused again
    # then: it is dead-lettered (not acknowledged as a failure, and lost), as it was after 8 retries
    wait_until(lambda: queue_depths()[dead_letter_queue] == 1, "the batch to be dead-lettered", timeout=20)
    [listed] = dead_letters_list()
    assert (listed.message_ids, listed.reason, listed.retries) == ([message["id"]], "rejected", MAX_RETRIES)
    # and the worker's line names the messages and the error's class and first line; no line of the worker
    # holds the error's DETAIL, the row with its words
    persistence_worker.wait_idle()
    output = "".join(persistence_worker.output)
    [line] = [line for line in persistence_worker.output if "dead-lettering" in line]
    assert f"dead-lettering 1 messages after {MAX_RETRIES} retries: {ERROR}" in line
    assert message["id"] in line
    assert WORDS not in output

    # when: the cause is fixed and the batch re-queued
    accept_messages()
    dead_letters_requeue()

    # then: it is stored
    wait_until(lambda: Message.objects.filter(pk=message["id"]).exists(), "the re-queued message", timeout=20)


def test_a_retried_batch_is_logged_without_its_words(team, refused, persistence_worker):
    # given: a batch the database refuses
    message = {**acknowledged(team, seq=1), "body": WORDS}

    # when: the worker tries it
    persist_messages_task.apply_async(args=([message],))

    # then: Celery's line for its retry tells the error by its class and first line, not its DETAIL
    wait_until(lambda: any("] retry: " in line for line in persistence_worker.output), "a retry", timeout=20)
    assert WORDS not in "".join(persistence_worker.output)
    [line] = [line for line in persistence_worker.output if "] retry: " in line]
    assert ERROR in line

    # and once the database accepts it again, the retry stores it
    accept_messages()
    wait_until(lambda: Message.objects.filter(pk=message["id"]).exists(), "the retried message", timeout=20)


def test_the_status_page_shows_live_figures(dead_letter_queue, team, staff):
    page = staff_client(staff).get("/admin/status/")

    html = page.content.decode()
    assert page.status_code == 200
    for figure in ("online_users", "messages_last_hour", "queue:persistence", "queue:push", "dead_letters"):
        assert f'data-figure="{figure}"' in html
    assert 'data-figure="dead_letters">0<' in html


def test_with_rabbitmq_unreachable_the_dead_letters_are_unknown_not_none(staff, monkeypatch):
    def unreachable() -> Connection:
        connection = Connection("amqp://guest:guest@127.0.0.1:1//")
        connection.ensure_connection(max_retries=1, timeout=2)
        return connection

    monkeypatch.setattr(selectors, "broker_connection", unreachable)

    html = staff_client(staff).get("/admin/status/").content.decode()

    assert "RabbitMQ cannot be reached" in html
    assert 'data-figure="dead_letters">unknown' in html
    assert "Every acknowledged message was saved" not in html


def test_the_admin_index_links_to_the_status_page(staff):
    assert "/admin/status/" in staff_client(staff).get("/admin/").content.decode()


def test_people_who_are_not_staff_see_nothing_and_requeue_nothing(dead_letter_queue, team):
    # given: a dead letter, and a signed-in user who is not staff
    dead_letter([acknowledged(team, seq=1)])
    wait_until(lambda: queue_depths()[dead_letter_queue] == 1, "one dead letter", timeout=20)
    client = staff_client(UserFactory(username="mallory"))

    # when
    page = client.get("/admin/status/")
    post = client.post("/admin/status/", {"requeue": "1"})
    anonymous = Client().get("/admin/status/")

    # then: sent to the login page; the dead letter stays
    for response in (page, post, anonymous):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert queue_depths()[dead_letter_queue] == 1
