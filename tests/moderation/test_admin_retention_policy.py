"""The retention policy's page in the admin: it will not take a retention that deletes every message on the
next run, and it says how it works as it does."""

import pytest

from messaging.models import RetentionPolicy
from tests.messaging.factories import make_conversation
from tests.moderation.conftest import change_form_data

pytestmark = pytest.mark.django_db(transaction=True)

POLICY = "/admin/messaging/retentionpolicy/"
CONVERSATIONS = "/admin/messaging/conversation/"


def test_a_retention_of_zero_days_is_refused(superuser_client):
    # when: an admin saves 0 days (the next run deleted every message, without a word)
    response = superuser_client.post(
        POLICY, {"message_retention_days": "0", "erased_users_messages": "empty"}
    )
    # then: the form says why and nothing changed
    assert response.status_code == 200
    assert "at least 1" in response.content.decode()
    assert RetentionPolicy.get_solo().message_retention_days is None
    # and a day, or empty (forever), are taken
    superuser_client.post(POLICY, {"message_retention_days": "1", "erased_users_messages": "empty"})
    assert RetentionPolicy.get_solo().message_retention_days == 1


def test_a_conversations_own_retention_of_zero_days_is_refused_too(superuser_client, ada, bob):
    # given
    conversation = make_conversation(ada, bob)
    page = f"{CONVERSATIONS}{conversation.pk}/change/"
    # when: an admin saves the conversation with 0 days of its own
    response = superuser_client.post(page, change_form_data(superuser_client.get(page), retention_days="0"))
    # then: the form says why and nothing changed
    assert response.status_code == 200
    assert "at least 1" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.retention_days is None


def test_the_page_says_when_the_task_runs_and_labels_read_well(superuser_client):
    content = superuser_client.get(POLICY).content.decode()
    assert "hourly" in content  # the schedule in CELERY_BEAT_SCHEDULE (it said "a daily task")
    assert "daily" not in content
    assert "Erased users&#x27; messages" in content or "Erased users’ messages" in content


def test_the_pages_say_a_reported_message_waits_for_its_report(superuser_client, ada, bob):
    # an admin setting a retention learns that an open report keeps its message past it (docs/moderation.md)
    conversation = make_conversation(ada, bob)
    for page in (POLICY, f"{CONVERSATIONS}{conversation.pk}/change/"):
        content = superuser_client.get(page).content.decode()
        assert "A message with an open report is kept until the moderators resolve it." in content
