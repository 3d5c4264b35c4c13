"""What happens after the push service answers: 201 done, 404/410 forget, 429/5xx retry."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from chatproject import celery_app
from core import logcontext
from messaging import services as messaging_services
from messaging.models import Message
from notifications import services
from notifications.models import PushDelivery, PushSubscription
from notifications.tasks import deliver_push_task, send_messages_push_task
from tests.messaging.factories import MembershipFactory, MessageFactory, acknowledged_payload
from tests.notifications.factories import PushSubscriptionFactory

pytestmark = pytest.mark.usefixtures("eager_celery")


@pytest.fixture
def message(db):
    sender = MembershipFactory().user
    return MessageFactory(conversation=sender.memberships.get().conversation, sender=sender, seq=1)


def subscribe_member(message, browser):
    member = MembershipFactory(conversation=message.conversation).user
    return PushSubscriptionFactory(user=member, browser=browser)


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_removed(message, browser, push_service, status):
    subscription = subscribe_member(message, browser)
    push_service.answer(browser, status)

    send_messages_push_task([str(message.pk)])

    assert [p.status for p in push_service.attempts(browser)] == [status]
    assert not PushSubscription.objects.filter(pk=subscription.pk).exists()


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_server_errors_are_retried(message, browser, push_service, status):
    subscribe_member(message, browser)
    push_service.answer(browser, status, status)

    send_messages_push_task([str(message.pk)])

    assert [p.status for p in push_service.attempts(browser)] == [status, status, 201]
    delivery = PushDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (PushDelivery.Status.SENT, 3)


def test_one_failing_subscription_does_not_hold_up_the_others(message, browser, push_service, settings):
    # given: one browser's push service keeps failing
    settings.PUSH_MAX_RETRIES = 2
    broken = push_service.subscribe(browser.application_server_key)
    subscribe_member(message, broken)
    subscribe_member(message, browser)
    push_service.answer(broken, 500, 500, 500, 500)

    # when
    send_messages_push_task([str(message.pk)])

    # then: it gave up after its retries; the other got its push once
    assert len(push_service.attempts(broken)) == 3
    assert len(push_service.received(browser)) == 1
    statuses = dict(PushDelivery.objects.values_list("subscription__endpoint", "status"))
    assert statuses == {broken.endpoint: "failed", browser.endpoint: "sent"}


def test_a_delivery_is_sent_once_however_often_its_task_runs(message, browser, push_service):
    subscription = subscribe_member(message, browser)
    delivery = PushDelivery.objects.create(message=message, subscription=subscription, payload={"title": "t"})

    deliver_push_task(delivery.pk)
    deliver_push_task(delivery.pk)

    assert len(push_service.attempts(browser)) == 1


def test_a_client_error_fails_without_retrying(message, browser, push_service):
    subscribe_member(message, browser)
    push_service.answer(browser, 413)

    send_messages_push_task([str(message.pk)])

    assert len(push_service.attempts(browser)) == 1
    assert PushDelivery.objects.get().status == PushDelivery.Status.FAILED


def test_an_unreachable_push_service_is_retried(message, browser, push_service, settings):
    settings.PUSH_MAX_RETRIES = 1
    subscription = subscribe_member(message, browser)
    PushSubscription.objects.filter(pk=subscription.pk).update(endpoint="http://127.0.0.1:9/push/nobody")

    send_messages_push_task([str(message.pk)])

    delivery = PushDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (PushDelivery.Status.FAILED, 2)


@pytest.mark.parametrize("deleted_by", ["author", "moderator"])
def test_a_deleted_message_s_words_leave_its_pushes_and_are_never_sent(
    message, browser, push_service, deleted_by
):
    # given: its push sent to one browser, and waiting for its next try to another (its service busy)
    waiting_browser = push_service.subscribe(browser.application_server_key)
    subscribe_member(message, browser)
    subscribe_member(message, waiting_browser)
    deliveries = services.messages_push_decide(message_ids=[message.pk])[message.pk]
    sent, waiting = sorted(
        deliveries, key=lambda pk: PushDelivery.objects.get(pk=pk).subscription.endpoint != browser.endpoint
    )
    deliver_push_task(sent)
    assert PushDelivery.objects.filter(payload__body=message.body).count() == 2
    # when: deleted by its author, or removed by a moderator (the path moderation's message_remove takes)
    if deleted_by == "author":
        messaging_services.message_delete(user=message.sender, message_id=message.pk)
    else:
        messaging_services.message_soft_delete(message=message, by_moderator=True)
    # then: no delivery keeps its words (they stayed, and the waiting one was sent at its next try)
    assert not PushDelivery.objects.filter(message=message).exists()
    deliver_push_task(waiting)
    assert push_service.attempts(waiting_browser) == []


def test_a_push_decided_as_its_message_was_deleted_is_not_sent(message, browser, push_service):
    # a decision that read the message before its deletion committed writes its delivery after the deletion
    subscription = subscribe_member(message, browser)
    messaging_services.message_delete(user=message.sender, message_id=message.pk)
    delivery = PushDelivery.objects.create(
        message=message, subscription=subscription, payload={"body": "words"}
    )

    deliver_push_task(delivery.pk)

    assert push_service.attempts(browser) == []
    assert not PushDelivery.objects.filter(pk=delivery.pk).exists()


@pytest.fixture
def scheduled(monkeypatch) -> list[dict]:
    """The push-decision tasks the persistence path queues, captured instead of sent."""
    calls: list[dict] = []
    monkeypatch.setattr(send_messages_push_task, "apply_async", lambda **kw: calls.append(kw))
    return calls


def test_a_stored_batch_schedules_one_decision_after_the_delay(
    db, scheduled, settings, browser, django_capture_on_commit_callbacks
):
    # given: a conversation with a member who has a push subscription
    settings.PUSH_DELAY_SECONDS = 3
    sender = MembershipFactory().user
    conversation = sender.memberships.get().conversation
    PushSubscriptionFactory(user=MembershipFactory(conversation=conversation).user, browser=browser)
    batch = [acknowledged_payload(conversation, sender, seq=seq, age=timedelta(0)) for seq in (1, 2, 3)]

    # when: the persistence path stores the batch, then the same batch again (a redelivered task)
    with django_capture_on_commit_callbacks(execute=True):
        messaging_services.messages_store(messages=batch)
    with django_capture_on_commit_callbacks(execute=True):
        messaging_services.messages_store(messages=batch)

    # then: one task for the whole batch, with its ids, and none for what was already stored
    assert scheduled == [
        {
            "args": (sorted(m["id"] for m in batch),),
            "countdown": 3,
            "headers": {logcontext.TRACES_HEADER: {}},
        }
    ]


def test_push_tasks_go_to_the_push_queue():
    for task in (send_messages_push_task, deliver_push_task):
        assert celery_app.amqp.router.route({}, task.name)["queue"].name == "push"


def test_only_the_notifications_app_talks_to_push_services():
    """Socket workers never push: nothing outside notifications/ may import the sender."""
    root = Path(settings.BASE_DIR)
    sender = re.compile(r"^\s*(from|import)\s+(pywebpush|notifications\.webpush)|deliver_push_task", re.M)
    offenders = [
        str(path.relative_to(root))
        for app in ("accounts", "messaging", "files", "chatproject", "frontend")
        for path in (root / app).rglob("*.py")
        if sender.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize("subscriber", ["muted the conversation", "deactivated", "none"])
def test_a_stored_batch_nobody_could_be_pushed_for_schedules_no_decision(
    db, scheduled, browser, subscriber, django_capture_on_commit_callbacks
):
    # given: the one subscriber muted the conversation, or was deactivated; or nobody has a subscription
    sender = MembershipFactory().user
    conversation = sender.memberships.get().conversation
    muted = subscriber == "muted the conversation"
    member = MembershipFactory(conversation=conversation, notification_level="none" if muted else "default")
    if subscriber != "none":
        PushSubscriptionFactory(user=member.user, browser=browser)
    if subscriber == "deactivated":
        member.user.is_active = False
        member.user.save(update_fields=["is_active"])
    batch = [acknowledged_payload(conversation, sender, seq=1, age=timedelta(0))]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        messaging_services.messages_store(messages=batch)

    # then: stored, and no push-decision task
    assert Message.objects.filter(pk=batch[0]["id"]).exists()
    assert scheduled == []
