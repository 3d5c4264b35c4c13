"""A Suspend of the queue's covering several messages of one sender suspends them once: one suspension on the
record, every report of theirs resolved as "Sender suspended", and no "closed a report (already done)" for
the second message, which this very action answered; the admin says how many people it suspended."""

from typing import Any

import pytest

from moderation.models import AuditEntry, Report
from tests.accounts.factories import UserFactory
from tests.conftest import run_action
from tests.messaging.factories import make_conversation, store_message
from tests.moderation.conftest import feedback

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = "/admin/moderation/report/"
Action = AuditEntry.Action


@pytest.fixture
def room(ada, bob, eve):
    return make_conversation(ada, bob, eve, title="Engine room")


def reported(message, reporter) -> Report:
    return Report.objects.create(
        message=message, reporter=reporter, reason="abuse", message_body=message.body
    )


def actions() -> list[tuple[str, str]]:
    return sorted(AuditEntry.objects.values_list("action", "target_repr"))


def test_two_messages_of_one_sender_suspend_them_once_on_the_record(moderator_client, room, ada, bob, eve):
    # given: two of bob's messages, reported by ada and eve
    first, second = store_message(room, bob, body="idiots"), store_message(room, bob, 2, body="all of you")
    reports = [reported(first, ada), reported(first, eve), reported(second, ada)]
    # when: the moderator selects the three and suspends the senders
    response = run_action(moderator_client, REPORTS, "suspend_sender", reports, reason="abuse")
    # then: one suspension, on the record once, with the reason and one of the reports
    assert feedback(response) == ["Senders suspended: 1."]
    # (the second message's report was also "closed a report (already done)", as if bob had been suspended
    # before the action)
    assert actions() == [(Action.USER_SUSPENDED, "bob")]
    entry = AuditEntry.objects.get()
    assert entry.reason == "abuse"
    assert entry.report_id in {r.pk for r in reports}
    assert set(Report.objects.values_list("status", "resolution")) == {
        (Report.Status.RESOLVED, Report.Resolution.SUSPENDED)
    }


def test_it_says_how_many_people_it_suspended_and_how_many_were_already(
    moderator_client, room, ada, bob, eve
):
    # given: bob's two messages and eve's, eve suspended yesterday (her report still open)
    cy: Any = UserFactory(username="cy")
    room.memberships.create(user=cy)
    reports = [
        reported(store_message(room, bob, body="idiots"), ada),
        reported(store_message(room, bob, 2, body="all of you"), cy),
        reported(store_message(room, eve, 3, body="spam"), ada),
        reported(store_message(room, eve, 4, body="more spam"), cy),
    ]
    run_action(moderator_client, "/admin/accounts/user/", "suspend", [eve], reason="spam")
    # when
    response = run_action(moderator_client, REPORTS, "suspend_sender", reports, reason="abuse")
    # then: bob suspended once; eve's two reports closed as done, each on the record
    assert feedback(response) == ["Senders suspended: 1; senders suspended already: 1."]
    assert actions() == [
        (Action.REPORT_CLOSED, "Report by ada of eve's message in Engine room"),
        (Action.REPORT_CLOSED, "Report by cy of eve's message in Engine room"),
        (Action.USER_SUSPENDED, "bob"),
        (Action.USER_SUSPENDED, "eve"),
    ]
    assert not Report.objects.filter(status=Report.Status.OPEN).exists()


def test_a_sender_who_may_not_be_suspended_is_refused_once(moderator_client, room, ada, eve):
    # given: two messages of a staff member's, reported
    staff: Any = UserFactory(username="sam", is_staff=True)
    room.memberships.create(user=staff)
    reports = [
        reported(store_message(room, staff, body="a"), ada),
        reported(store_message(room, staff, 2), eve),
    ]
    # when
    response = run_action(moderator_client, REPORTS, "suspend_sender", reports, reason="abuse")
    # then: refused once, nothing counted, nothing done
    [refusal] = [line for line in feedback(response) if "Only a superuser" in line]
    assert refusal.endswith("of sam's message in Engine room: Only a superuser can suspend staff.")
    assert "suspended" not in " ".join(feedback(response)).lower()
    assert not AuditEntry.objects.exists()
    assert Report.objects.filter(status=Report.Status.OPEN).count() == 2
