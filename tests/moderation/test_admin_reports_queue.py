"""The reports queue reads at a glance: long texts are cut short in the list (in full on a report's page),
resolutions are labelled alike, and reports and messages are named by who and where, not by ids."""

import pytest

from accounts import services as account_services
from moderation.models import AuditEntry, Report
from tests.conftest import run_action
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = "/admin/moderation/report/"
MESSAGES = "/admin/messaging/message/"


@pytest.fixture
def rude(ada, bob):
    return store_message(make_conversation(ada, bob, title="Engine room"), bob, body="rude " * 100)


def test_long_texts_are_cut_short_in_the_queue_and_shown_whole_on_the_reports_page(
    moderator_client, ada, rude
):
    # given: a report with a long reason, of a long message
    reason = "This is abuse, and it goes on: " + "again and again " * 40
    report = Report.objects.create(message=rude, reporter=ada, reason=reason, message_body=rude.body)
    # when
    queue = moderator_client.get(REPORTS).content.decode()
    page = moderator_client.get(f"{REPORTS}{report.pk}/change/").content.decode()
    # then: the queue shows the start of each, with an ellipsis (the reason was whole: clipped columns)
    assert reason not in queue
    assert reason[:60] in queue
    assert rude.body.strip() not in queue
    assert queue.count("…") >= 2
    # and the report's page shows both whole
    assert reason.strip() in page
    assert rude.body.strip() in page


def test_resolutions_are_labelled_alike(moderator_client, ada, rude):
    assert [label for _, label in Report.Resolution.choices] == [
        "Message removed",
        "Sender suspended",
        "Dismissed",
    ]
    report = Report.objects.create(message=rude, reporter=ada, reason="rude", message_body=rude.body)
    run_action(moderator_client, REPORTS, "remove_message", [report], reason="rude")
    assert "Message removed" in moderator_client.get(REPORTS).content.decode()


def test_a_reports_state_is_one_column_open_or_how_it_was_resolved(moderator_client, ada, rude):
    # given
    report = Report.objects.create(message=rude, reporter=ada, reason="rude", message_body=rude.body)

    def states() -> list[str]:
        changelist = moderator_client.get(REPORTS).context["cl"]
        return [changelist.model_admin.state(row) for row in changelist.result_list]

    # then: open, then how it was resolved, in one column (status and resolution were two, with the id: the
    # queue was 747 px wide in the 631 px beside the admin's navigation at 1280 px, its texts clipped)
    assert states() == ["Open"]
    run_action(moderator_client, REPORTS, "remove_message", [report], reason="rude")
    assert states() == ["Message removed"]
    assert moderator_client.get(REPORTS).context["cl"].list_display == [
        "action_checkbox",
        "created_at",
        "state",
        "open_reports",
        "reporter",
        "sender",
        "excerpt",
        "short_reason",
    ]


def test_reports_and_messages_are_named_by_who_and_where(moderator_client, ada, rude):
    # given
    report = Report.objects.create(message=rude, reporter=ada, reason="rude", message_body=rude.body)
    # then: a report is named by its reporter, the sender and the conversation (it was "report #1 of <uuid>")
    assert str(report) == "Report by ada of bob's message in Engine room"
    page = moderator_client.get(f"{REPORTS}{report.pk}/change/").content.decode()
    assert "bob&#x27;s message in Engine room" in page
    assert f"{rude.conversation_id}#{rude.seq}" not in page
    # when: the moderator removes the message
    run_action(moderator_client, REPORTS, "remove_message", [report], reason="rude")
    # then: the audit log names the message so too (it said "<conversation id>#<seq>")
    assert AuditEntry.objects.get().target_repr == "bob's message in Engine room"


def test_a_direct_messages_report_names_the_direct_conversation(ada, bob):
    message = store_message(make_conversation(ada, bob, kind="direct"), bob, body="hey")
    report = Report.objects.create(message=message, reporter=ada, reason="spam", message_body="hey")
    assert str(report) == "Report by ada of bob's direct message"


def test_once_people_are_erased_the_audit_log_names_them_by_id(moderator_client, ada, bob, rude):
    # given: ada's report of bob's message dismissed, then the message removed, on the record by name
    report = Report.objects.create(message=rude, reporter=ada, reason="rude", message_body=rude.body)
    run_action(moderator_client, REPORTS, "dismiss", [report], reason="fine")
    run_action(moderator_client, MESSAGES, "remove", [rude], reason="rude after all")
    # when: both erase their accounts (the report goes with ada)
    account_services.user_erase(user=ada)
    account_services.user_erase(user=bob)
    # then: the entries stay, naming them "user <id>" only
    assert set(AuditEntry.objects.values_list("target_repr", flat=True)) == {
        f"Report by user {ada.pk} of user {bob.pk}'s message in Engine room",
        f"user {bob.pk}'s message in Engine room",
    }
