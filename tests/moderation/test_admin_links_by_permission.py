"""The moderators' pages link only to what the one reading them may open: staff who may read the reports
but not messages see the reported message named, not a link to a 403; staff who may read messages but not
reports see a reported message's files by name, not links that answer 403 (the files open for the reports'
permission: moderation.selectors.reported_file_get)."""

import pytest

from moderation.models import AuditEntry, Report
from tests.conftest import run_action, staff_with
from tests.files.factories import StoredFileFactory
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def report(ada, bob):
    evidence = StoredFileFactory(owner=bob, name="evidence.pdf")
    rude = store_message(make_conversation(ada, bob, title="Engine room"), bob, body="rude words")
    rude.attachments.add(evidence)
    return Report.objects.create(message=rude, reporter=ada, reason="insults", message_body=rude.body)


def test_staff_who_may_not_read_messages_see_the_reported_message_named_not_linked(report):
    shown = staff_with("moderation", "report", "view").get(f"/admin/moderation/report/{report.pk}/change/")

    html = shown.content.decode()
    assert shown.status_code == 200
    assert "bob&#x27;s message in Engine room" in html
    assert f"/admin/messaging/message/{report.message_id}/change/" not in html


def test_staff_who_may_not_read_reports_see_a_reported_message_s_files_by_name_only(report):
    file_id = report.message.attachments.get().pk

    shown = staff_with("messaging", "message", "view").get(
        f"/admin/messaging/message/{report.message_id}/change/"
    )

    html = shown.content.decode()
    assert shown.status_code == 200
    assert "evidence.pdf" in html
    assert f"/admin/moderation/report/file/{file_id}/" not in html


def test_staff_who_may_not_read_users_see_people_named_not_linked(report, moderator_client, bob):
    # given: a moderator dismissed the report, which is on the record
    run_action(moderator_client, "/admin/moderation/report/", "dismiss", [report], reason="fine")
    entry = AuditEntry.objects.get()
    # when: staff who may read reports and the audit log, not users, open the report and the entry
    report_page = staff_with("moderation", "report", "view").get(
        f"/admin/moderation/report/{report.pk}/change/"
    )
    entry_page = staff_with("moderation", "auditentry", "view").get(
        f"/admin/moderation/auditentry/{entry.pk}/change/"
    )
    # then: the reporter, who resolved it and the actor are named, with no link to a page answering 403
    for page in (report_page, entry_page):
        html = page.content.decode()
        assert page.status_code == 200
        assert "/admin/accounts/user/" not in html
    assert '<div class="readonly">ada</div>' in report_page.content.decode()  # the reporter
    assert '<div class="readonly">mod</div>' in report_page.content.decode()  # who resolved it
    assert '<div class="readonly">mod</div>' in entry_page.content.decode()  # the actor
    # and a moderator, who may, still has the links
    assert (
        f"/admin/accounts/user/{report.reporter_id}/change/"
        in moderator_client.get(f"/admin/moderation/report/{report.pk}/change/").content.decode()
    )
