"""A report's page shows the text as reported and says whether the message still says it: edited since (with
what it says now), deleted since, erased with its sender's account, or as reported. It said only "Message
body:" with the reported text, so a moderator could not tell that members now read something else."""

import pytest

from accounts.services import user_erase
from messaging import services as messaging_services
from moderation.models import Report
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = "/admin/moderation/report/"


@pytest.fixture
def room(ada, bob):
    return make_conversation(ada, bob, title="Engine room")


def report_of(message, reporter) -> Report:
    return Report.objects.create(message=message, reporter=reporter, reason="spam", message_body=message.body)


def page_of(client, report) -> str:
    response = client.get(f"{REPORTS}{report.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_message_edited_after_the_report_shows_both_texts(moderator_client, room, ada, bob):
    # given: bob's message was reported, then he edited it
    spam = store_message(room, bob, body="buy cheap pills at spam.example")
    report = report_of(spam, ada)
    messaging_services.message_edit(user=bob, message_id=spam.pk, body="sorry, edited")
    # when
    page = page_of(moderator_client, report)
    # then: what was reported, and what it says now, said to be an edit
    assert "Reported text" in page
    assert "buy cheap pills at spam.example" in page
    assert "Edited since the report; it now says:" in page
    assert "sorry, edited" in page


def test_a_message_as_reported_deleted_or_erased_says_so(moderator_client, room, ada, bob, eve):
    unchanged = report_of(store_message(room, bob, body="rude"), ada)
    deleted_message = store_message(room, bob, 2, body="ruder")
    deleted = report_of(deleted_message, ada)
    messaging_services.message_delete(user=bob, message_id=deleted_message.pk)
    eves_room = make_conversation(ada, eve, title="Other room")
    erased = report_of(store_message(eves_room, eve, body="rudest"), ada)
    user_erase(user=eve)

    assert "As reported." in page_of(moderator_client, unchanged)
    assert "Deleted since the report." in page_of(moderator_client, deleted)
    assert "Erased with its sender&#x27;s account." in page_of(moderator_client, erased)
