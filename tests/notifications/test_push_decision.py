"""Who is pushed a message. Every push is checked by the fake push service (VAPID, TTL, aes128gcm) and
read back decrypted, as the recipient's browser would read it."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.utils.timezone import now

from core import logcontext
from files.models import StoredFile
from messaging import selectors
from messaging.models import Conversation, Membership, Message, ThreadFollow
from messaging.services.mentions import mentions_record
from notifications import services
from notifications.models import NotificationPreferences, PushDecision, PushDelivery
from notifications.tasks import deliver_push_task, send_messages_push_task
from realtime.presence import presence_store
from tests.accounts.factories import UserFactory
from tests.messaging.factories import ConversationFactory, MembershipFactory, MessageFactory
from tests.notifications.factories import PushSubscriptionFactory

pytestmark = pytest.mark.usefixtures("eager_celery")


@pytest.fixture
def conversation(db):
    return ConversationFactory(kind=Conversation.Kind.GROUP, title="Design")


@pytest.fixture
def sender(conversation):
    return MembershipFactory(
        conversation=conversation, user=UserFactory(display_name="Ada Lovelace"), role="owner"
    ).user


@pytest.fixture
def away(conversation, browser):
    """A member with a subscribed browser and no open socket."""
    membership = MembershipFactory(conversation=conversation, user=UserFactory(username="grace"))
    PushSubscriptionFactory(user=membership.user, browser=browser)
    return membership


def send(conversation, sender, body="Hello there", **fields):
    """What the send and persistence paths do: resolve the body's mentions, store the message with them and
    its Mention rows, then decide its pushes."""
    mentions = selectors.mentions_resolve(sender_id=sender.pk, conversation_id=conversation.pk, body=body)
    message = MessageFactory(
        conversation=conversation,
        sender=sender,
        body=body,
        seq=conversation.last_seq + 1,
        **mentions,
        **fields,
    )
    stored = {
        "id": message.pk,
        "conversation": conversation.pk,
        "seq": message.seq,
        "sender": {"id": sender.pk},
    }
    mentions_record(messages=[{**stored, **mentions}])
    conversation.last_seq = message.seq
    conversation.save(update_fields=["last_seq"])
    send_messages_push_task([str(message.pk)])
    return message


def test_an_away_member_gets_one_push_with_the_message(conversation, sender, away, browser, push_service):
    send(conversation, sender, body="Shall we ship the *new* logo today?")

    [push] = push_service.attempts(browser)
    assert push.payload == {
        "title": "Ada Lovelace in Design",
        "body": "Shall we ship the *new* logo today?",
        "url": f"/conversations/{conversation.pk}",
        "tag": f"conversation-{conversation.pk}",
        "seq": 1,
    }
    assert push.headers["ttl"] == str(12 * 3600)
    assert push.headers["urgency"] == "normal"
    assert push.claims["sub"] == "mailto:admin@parley.invalid"


def test_a_direct_message_names_the_sender_and_is_urgent(sender, browser, push_service):
    direct = ConversationFactory(kind=Conversation.Kind.DIRECT, title="")
    MembershipFactory(conversation=direct, user=sender)
    PushSubscriptionFactory(user=MembershipFactory(conversation=direct).user, browser=browser)

    send(direct, sender, body="x" * 130)

    [push] = push_service.attempts(browser)
    assert push.payload["title"] == "Ada Lovelace"
    assert push.payload["body"] == "x" * 120 + "…"
    assert push.headers["urgency"] == "high"


def test_an_attachment_without_text_says_so(conversation, sender, away, browser, push_service):
    message = MessageFactory(conversation=conversation, sender=sender, body="   ", seq=1)
    stored = StoredFile.objects.create(owner=sender, name="plan.pdf", size=10, storage_key="k/plan.pdf")
    message.attachments.add(stored)

    send_messages_push_task([str(message.pk)])

    assert push_service.received(browser)[0]["body"] == "sent an attachment"


def test_a_decision_made_twice_still_pushes_once(conversation, sender, away, browser, push_service):
    # given: the decision ran, as one worker would
    message = send(conversation, sender)

    # when: the task is delivered again (acks_late redelivery, or another worker)
    send_messages_push_task([str(message.pk)])

    # then
    assert len(push_service.attempts(browser)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_deciding_at_once_push_once(browser, push_service):
    # given
    conversation = ConversationFactory(title="Design")
    sender = MembershipFactory(conversation=conversation).user
    PushSubscriptionFactory(user=MembershipFactory(conversation=conversation).user, browser=browser)
    message = MessageFactory(conversation=conversation, sender=sender, seq=1)
    start, errors = threading.Barrier(2), []

    def worker() -> None:
        try:
            start.wait(timeout=5)
            send_messages_push_task([str(message.pk)])
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    # when: two workers run the same decision concurrently
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    # then
    assert errors == []
    assert PushDecision.objects.filter(message=message).count() == 1
    assert len(push_service.attempts(browser)) == 1


def test_an_online_member_gets_no_push(conversation, sender, away, browser, push_service, online):
    online(away.user_id)

    send(conversation, sender)

    assert push_service.attempts(browser) == []


def test_a_member_whose_only_page_is_hidden_is_away_and_pushed(
    conversation, sender, away, browser, push_service
):
    # given: grace's one tab is open but hidden (its `activity` frame said so)
    store = presence_store()
    store.connect(away.user_id, "tab")
    store.set_looking(away.user_id, "tab", False)
    try:
        send(conversation, sender)
    finally:
        store.disconnect(away.user_id, "tab")

    assert len(push_service.attempts(browser)) == 1


def test_one_looking_page_among_hidden_ones_keeps_a_member_present(
    conversation, sender, away, browser, push_service
):
    store = presence_store()
    for tab in ("hidden", "looking"):
        store.connect(away.user_id, tab)
    store.set_looking(away.user_id, "hidden", False)
    try:
        send(conversation, sender)
    finally:
        for tab in ("hidden", "looking"):
            store.disconnect(away.user_id, tab)

    assert push_service.attempts(browser) == []


def test_the_sender_gets_no_push(conversation, sender, away, browser, push_service):
    own = push_service.subscribe(browser.application_server_key)
    PushSubscriptionFactory(user=sender, browser=own)

    send(conversation, sender)

    assert push_service.attempts(own) == []


def test_a_muted_conversation_pushes_nothing(conversation, sender, away, browser, push_service):
    Membership.objects.filter(pk=away.pk).update(notification_level="none")

    send(conversation, sender)

    assert push_service.attempts(browser) == []


def test_a_message_read_during_the_delay_is_not_pushed(conversation, sender, away, browser, push_service):
    message = MessageFactory(conversation=conversation, sender=sender, seq=7)
    Membership.objects.filter(pk=away.pk).update(last_read_seq=7)  # read on another device

    send_messages_push_task([str(message.pk)])

    assert push_service.attempts(browser) == []


def test_a_deleted_message_is_not_pushed(conversation, sender, away, browser, push_service):
    from django.utils import timezone

    send(conversation, sender, deleted_at=timezone.now())

    assert push_service.attempts(browser) == []


@pytest.mark.parametrize(
    ("body", "pushes"),
    [("release is out", 0), ("@Grace release is out", 1), ("@gracey release is out", 0)],
    ids=["no-mention", "mention", "other-name"],
)
def test_channels_push_only_mentions_by_default(sender, away, browser, push_service, body, pushes):
    Conversation.objects.filter(pk=away.conversation_id).update(kind="channel", title="general")
    channel = Conversation.objects.get(pk=away.conversation_id)

    send(channel, sender, body=body)

    assert len(push_service.received(browser)) == pushes
    if pushes:
        assert push_service.received(browser)[0]["title"] == "Ada Lovelace in #general"
        assert push_service.attempts(browser)[0].headers["urgency"] == "high"


@pytest.mark.parametrize(
    ("level", "body", "pushes"),
    [("none", "@grace hi", 0), ("mentions", "hi", 0), ("mentions", "hi @grace", 1), ("all", "hi", 1)],
)
def test_the_members_preference_decides(
    conversation, sender, away, browser, push_service, level, body, pushes
):
    NotificationPreferences.objects.create(user=away.user, group=level)

    send(conversation, sender, body=body)

    assert len(push_service.received(browser)) == pushes


def test_every_subscription_of_a_member_gets_one_push(conversation, sender, away, browser, push_service):
    phone = push_service.subscribe(browser.application_server_key)
    PushSubscriptionFactory(user=away.user, browser=phone)

    send(conversation, sender)

    assert len(push_service.received(browser)) == 1
    assert len(push_service.received(phone)) == 1


def test_a_batch_is_decided_message_by_message(conversation, sender, away, browser, push_service):
    # given: a stored batch; grace read the second message on another device, the third was deleted
    first, read, deleted = (
        MessageFactory(conversation=conversation, sender=sender, seq=seq) for seq in (1, 2, 3)
    )
    Message.objects.filter(pk=deleted.pk).update(deleted_at=now())
    Membership.objects.filter(pk=away.pk).update(last_read_seq=1)
    direct = ConversationFactory(kind=Conversation.Kind.DIRECT, title="")
    MembershipFactory(conversation=direct, user=sender)
    MembershipFactory(conversation=direct, user=away.user)
    private = MessageFactory(conversation=direct, sender=sender, seq=1, body="just you")
    # the first message was decided by an earlier run already
    send_messages_push_task([str(first.pk)])

    # when: the batch's task runs
    send_messages_push_task([str(m.pk) for m in (first, read, deleted, private)])

    # then: one push for the first message (decided once) and one for the direct message, urgent
    pushes = push_service.attempts(browser)
    assert [push.payload["body"] for push in pushes] == ["Hello there", "just you"]
    assert [push.headers["urgency"] for push in pushes] == ["normal", "high"]
    assert PushDelivery.objects.filter(message=private).count() == 1


def test_each_push_of_a_batch_carries_its_messages_trace(conversation, sender, away, monkeypatch):
    # given: two stored messages of two sends
    messages = [MessageFactory(conversation=conversation, sender=sender, seq=seq) for seq in (1, 2)]
    traces = {str(m.pk): logcontext.new_id() for m in messages}
    queued = []
    monkeypatch.setattr(deliver_push_task, "delay", lambda pk: queued.append((pk, logcontext.get("trace"))))

    # when
    send_messages_push_task.apply(args=(list(traces),), headers={logcontext.TRACES_HEADER: traces})

    # then: each delivery task is queued under its own message's trace (so its headers carry it)
    deliveries = dict(PushDelivery.objects.values_list("pk", "message_id"))
    assert sorted(queued) == sorted((pk, traces[str(message_id)]) for pk, message_id in deliveries.items())


@pytest.mark.parametrize("size", [1, 50])
def test_deciding_a_batch_costs_the_same_queries_whatever_its_size(
    conversation, sender, away, browser, size, django_assert_num_queries
):
    # given: a second conversation, so that the batch spans two, each with a pushed member
    other = ConversationFactory(kind=Conversation.Kind.GROUP, title="Ops")
    MembershipFactory(conversation=other, user=sender)
    MembershipFactory(conversation=other, user=away.user)
    messages = [
        MessageFactory(conversation=(conversation, other)[seq % 2], sender=sender, seq=seq)
        for seq in range(1, size + 1)
    ]

    # then: messages, decisions, members, preferences, subscriptions, deliveries, pending (and a savepoint)
    with django_assert_num_queries(9):
        deliveries = services.messages_push_decide(message_ids=[m.pk for m in messages])
    assert sum(len(ids) for ids in deliveries.values()) == size


def test_a_reply_in_a_thread_is_pushed_to_its_followers_only(
    conversation, sender, away, browser, push_service
):
    root = send(conversation, sender, body="Which logo?")
    assert len(push_service.attempts(browser)) == 1  # grace is pushed the root, as any message
    bystander = MembershipFactory(conversation=conversation, user=UserFactory(username="cy"))
    other_browser = push_service.subscribe(settings.VAPID_PUBLIC_KEY)
    PushSubscriptionFactory(user=bystander.user, browser=other_browser)

    # a reply: grace does not follow the thread, so she is not pushed it, and neither is cy
    send(conversation, sender, body="The blue one", thread_root=root)
    assert len(push_service.attempts(browser)) == 1
    assert push_service.attempts(other_browser) == []

    # once grace follows it she is, with a push of the thread's own
    ThreadFollow.objects.create(user=away.user, root=root, following=True)
    send(conversation, sender, body="Or the red one", thread_root=root)
    push = push_service.attempts(browser)[-1]
    assert push.payload == {
        "title": "Ada Lovelace replied in a thread in Design",
        "body": "Or the red one",
        # a click opens the conversation with the thread beside it, not the main timeline at the reply's seq
        "url": f"/conversations/{conversation.pk}?thread={root.pk}",
        "tag": f"thread-{root.pk}",
    }
    # and a reply that mentions cy reaches him though he does not follow it
    send(conversation, sender, body="@cy what do you think?", thread_root=root)
    assert [p.payload["body"] for p in push_service.attempts(other_browser)] == ["@cy what do you think?"]


@pytest.mark.parametrize(
    ("kind", "preference", "level", "body", "pushes"),
    [
        # the conversation's own level overrides the preference for its kind, both ways
        ("group", "all", "mentions", "hi", 0),
        ("group", "all", "mentions", "hi @grace", 1),
        ("channel", "mentions", "all", "hi", 1),
        ("group", "all", "none", "hi @grace", 0),
        # default: the preference for its kind
        ("group", "mentions", "default", "hi", 0),
        ("group", "all", "default", "hi", 1),
    ],
)
def test_the_conversation_level_decides_before_the_preference(
    conversation, sender, away, browser, push_service, kind, preference, level, body, pushes
):
    Conversation.objects.filter(pk=conversation.pk).update(kind=kind)
    conversation.refresh_from_db()
    NotificationPreferences.objects.create(user=away.user, **{kind: preference})
    Membership.objects.filter(pk=away.pk).update(notification_level=level)

    send(conversation, sender, body=body)

    assert len(push_service.received(browser)) == pushes


@pytest.mark.parametrize(("body", "pushes"), [("@all lunch", 1), ("@here lunch", 0), ("lunch", 0)])
def test_all_reaches_a_member_at_level_mentions_and_here_only_those_present(
    conversation, sender, away, browser, push_service, body, pushes
):
    # given: grace hears only of mentions here, and is away (so not mentioned by @here)
    Membership.objects.filter(pk=away.pk).update(notification_level="mentions")

    send(conversation, sender, body=body)

    assert len(push_service.received(browser)) == pushes
