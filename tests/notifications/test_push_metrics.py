"""Push attempts are counted by outcome (parley_push_deliveries_total, docs/operations.md)."""

import pytest
from prometheus_client import REGISTRY

from notifications.tasks import send_messages_push_task
from tests.messaging.factories import MembershipFactory, MessageFactory
from tests.notifications.factories import PushSubscriptionFactory

pytestmark = pytest.mark.usefixtures("eager_celery")


def deliveries(outcome: str) -> float:
    return REGISTRY.get_sample_value("parley_push_deliveries_total", {"outcome": outcome}) or 0.0


@pytest.fixture
def message(db):
    sender = MembershipFactory().user
    return MessageFactory(conversation=sender.memberships.get().conversation, sender=sender, seq=1)


def test_each_attempt_is_counted_by_its_outcome(message, browser, push_service, settings):
    # given: two members subscribed; one's push service is gone, the other fails once, then accepts
    settings.PUSH_MAX_RETRIES = 3
    gone = push_service.subscribe(browser.application_server_key)
    for subscribed in (gone, browser):
        PushSubscriptionFactory(
            user=MembershipFactory(conversation=message.conversation).user, browser=subscribed
        )
    push_service.answer(gone, 410)
    push_service.answer(browser, 503)
    before = {outcome: deliveries(outcome) for outcome in ("sent", "gone", "retry")}

    # when
    send_messages_push_task([str(message.pk)])

    # then
    assert {outcome: deliveries(outcome) - count for outcome, count in before.items()} == {
        "sent": 1,
        "gone": 1,
        "retry": 1,
    }
