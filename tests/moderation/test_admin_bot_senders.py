"""A reported bot's message says it came from a bot, and whose: the queue's sender reads
"helper (bot of ada)", and the report's page the same, the owner linked to their page for staff who may read
users and named without a link (which would answer 403) for others."""

import pytest

from accounts import services as account_services
from moderation.models import Report
from tests.conftest import staff_with
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = "/admin/moderation/report/"


@pytest.fixture
def bot(ada):
    return account_services.bot_create(owner=ada, username="helper")


@pytest.fixture
def report(bot, bob):
    room = make_conversation(bot, bob, title="Engine room")
    message = store_message(room, bot, body="buy now")
    return Report.objects.create(message=message, reporter=bob, reason="spam", message_body=message.body)


def test_the_queue_marks_a_bot_sender_and_names_its_owner(moderator_client, report):
    changelist = moderator_client.get(REPORTS).context["cl"]
    [row] = changelist.result_list
    # (it said "helper", as for a person)
    assert changelist.model_admin.sender(row) == "helper (bot of ada)"
    assert "helper (bot of ada)" in moderator_client.get(REPORTS).content.decode()


def test_a_person_s_message_is_not_marked(moderator_client, report, bob, ada):
    human = store_message(report.message.conversation, bob, 2, body="hi")
    Report.objects.create(message=human, reporter=ada, reason="rude", message_body="hi")
    changelist = moderator_client.get(f"{REPORTS}?q=hi").context["cl"]
    assert [changelist.model_admin.sender(r) for r in changelist.result_list] == ["bob"]


def test_the_report_s_page_links_the_owner_for_moderators(moderator_client, report, ada):
    html = moderator_client.get(f"{REPORTS}{report.pk}/change/").content.decode()
    assert f'helper (bot of <a href="/admin/accounts/user/{ada.pk}/change/">ada</a>)' in html


def test_staff_who_may_not_read_users_see_the_owner_named_not_linked(report, ada):
    page = staff_with("moderation", "report", "view").get(f"{REPORTS}{report.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "helper (bot of ada)" in html
    assert "/admin/accounts/user/" not in html
