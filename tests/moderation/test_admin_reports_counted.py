"""What the queue's actions say they did counts what they name: three reports of one message selected
together remove one message ("Messages removed: 1."), not one removed and two "removed already"; reports of
two messages of one sender suspend one sender; and each report a Dismiss closed is dismissed, whether itself
or with another report of its message, while one dismissed before is "dismissed already"."""

import pytest

from moderation.models import AuditEntry, Report
from tests.accounts.factories import UserFactory
from tests.conftest import run_action
from tests.messaging.factories import make_conversation, store_message
from tests.moderation.conftest import feedback

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = "/admin/moderation/report/"


@pytest.fixture
def reporters(ada):
    return [ada, UserFactory(username="cy"), UserFactory(username="dee")]


@pytest.fixture
def room(reporters, bob):
    return make_conversation(*reporters, bob, title="Engine room")


def report_all(message, reporters) -> list[Report]:
    return [
        Report.objects.create(message=message, reporter=r, reason="threat", message_body=message.body)
        for r in reporters
    ]


def test_three_reports_of_one_message_remove_one_message(moderator_client, room, bob, reporters):
    # given: three members reported bob's message
    threat = store_message(room, bob, body="I know where you live")
    reports = report_all(threat, reporters)
    # when: the moderator selects the three and removes
    response = run_action(moderator_client, REPORTS, "remove_message", reports, reason="threats")
    # then: one message was removed, and it says so
    # (it said "Messages removed: 1; messages removed already: 2.")
    assert feedback(response) == ["Messages removed: 1."]
    threat.refresh_from_db()
    assert threat.is_deleted
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MESSAGE_REMOVED).count() == 1
    assert set(Report.objects.values_list("resolution", flat=True)) == {Report.Resolution.REMOVED}


def test_reports_of_two_messages_of_one_sender_suspend_one_sender(moderator_client, room, bob, reporters):
    # given: two messages of bob's, reported three and one times
    first, second = store_message(room, bob, body="idiots"), store_message(room, bob, 2, body="all of you")
    reports = [*report_all(first, reporters), *report_all(second, reporters[:1])]
    # when
    response = run_action(moderator_client, REPORTS, "suspend_sender", reports, reason="abuse")
    # then (it said "Senders suspended: 1; senders suspended already: 3.")
    assert feedback(response) == ["Senders suspended: 1."]
    bob.refresh_from_db()
    assert bob.is_suspended
    assert set(Report.objects.values_list("resolution", flat=True)) == {Report.Resolution.SUSPENDED}


def test_a_dismiss_counts_each_report_it_closed_and_those_closed_before(
    moderator_client, room, bob, reporters
):
    # given: three open reports of one message, and one of another message dismissed yesterday
    joke = store_message(room, bob, body="a bad joke")
    reports = report_all(joke, reporters)
    old = report_all(store_message(room, bob, 2, body="an old one"), reporters[:1])
    run_action(moderator_client, REPORTS, "dismiss", old, reason="fine")
    # when: the moderator selects all four and dismisses
    response = run_action(moderator_client, REPORTS, "dismiss", [*reports, *old], reason="only a joke")
    # then (it said "Dismissed: 1; dismissed already: 3.")
    assert feedback(response) == ["Dismissed: 3; dismissed already: 1."]
    assert set(Report.objects.values_list("resolution", flat=True)) == {Report.Resolution.DISMISSED}
