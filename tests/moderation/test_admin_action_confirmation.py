"""Removing a message and suspending someone act at once, live, for everyone, and cannot be taken back as they
were (a removed message's files are deleted; a suspension ends every session and revokes every token): the
admin first shows what will be done to whom, and does it only on "Yes". They ran on the first click of Go."""

import pytest

from moderation.models import AuditEntry, Report
from tests.messaging.factories import make_conversation, store_message
from tests.moderation.conftest import feedback

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def report(ada, bob):
    rude = store_message(make_conversation(ada, bob, title="Engine room"), bob, body="rude words")
    return Report.objects.create(message=rude, reporter=ada, reason="insults", message_body=rude.body)


def go(client, changelist: str, action: str, rows, **more):
    """The action menu's Go (with the reason typed beside it), or, with post="yes", the confirmation's Yes."""
    form = {"action": action, "_selected_action": [str(row.pk) for row in rows], "reason": "insults", **more}
    return client.post(changelist, {**form, **({} if "post" in more else {"index": 0})}, follow=True)


MESSAGES, REPORTS, USERS = "/admin/messaging/message/", "/admin/moderation/report/", "/admin/accounts/user/"
BOBS_MESSAGE = "bob&#x27;s message in Engine room"


@pytest.mark.parametrize(
    ("changelist", "action", "rows", "names", "done"),
    [
        (MESSAGES, "remove", "message", BOBS_MESSAGE, "Removed"),
        (REPORTS, "remove_message", "report", BOBS_MESSAGE, "Messages removed"),
        (USERS, "suspend", "user", "bob", "Suspended"),
        (REPORTS, "suspend_sender", "report", "bob", "Senders suspended"),
    ],
)
def test_removing_and_suspending_ask_first_and_act_only_on_yes(
    moderator_client, report, bob, changelist, action, rows, names, done
):
    selected = {"message": report.message, "report": report, "user": bob}[rows]
    removing = "remove" in action

    # when: the moderator picks the action, types why, and presses Go
    page = go(moderator_client, changelist, action, [selected])

    # then: a page asks them to confirm, naming whom it acts on and keeping the reason; nothing is done yet
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["title"].startswith("Remove " if removing else "Suspend ")
    assert f"<li>{names}" in html
    assert 'name="reason" value="insults"' in html
    assert 'name="post" value="yes"' in html
    report.message.refresh_from_db()
    bob.refresh_from_db()
    assert report.message.deleted_at is None
    assert not bob.is_suspended
    assert not AuditEntry.objects.exists()

    # when: they press Yes
    page = go(moderator_client, changelist, action, [selected], post="yes")

    # then: it is done, said, and on the record with the reason
    assert feedback(page) == [f"{done}: 1."]
    report.message.refresh_from_db()
    bob.refresh_from_db()
    assert report.message.deleted_at is not None if removing else bob.is_suspended
    assert AuditEntry.objects.get().reason == "insults"


def test_without_a_reason_it_asks_for_one_before_anything(moderator_client, report):
    page = go(moderator_client, "/admin/messaging/message/", "remove", [report.message], reason="")

    assert feedback(page) == ["Give a reason: it goes into the audit log."]
    assert 'name="post"' not in page.content.decode()
