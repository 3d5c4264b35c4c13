"""`POST /api/v1/messages/{id}/report/`: members report a message, once."""

import uuid

import pytest
from rest_framework.test import APIClient

from moderation.models import Report
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)


def report_url(message_id) -> str:
    return f"/api/v1/messages/{message_id}/report/"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def rude(ada, bob):
    return store_message(make_conversation(ada, bob), bob, body="you are all idiots")


def test_a_member_reports_a_message_once(ada, rude):
    # when
    first = as_user(ada).post(report_url(rude.pk), {"reason": "insulting"}, format="json")
    again = as_user(ada).post(report_url(rude.pk), {"reason": "still insulting"}, format="json")
    # then
    assert first.status_code == 201
    assert first.json()["status"] == "open"
    assert first.json()["message"] == str(rude.pk)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_reported"
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.message_body) == (ada, "insulting", "you are all idiots")


def test_non_members_and_unknown_messages_get_the_same_404(eve, rude):
    outsider = as_user(eve).post(report_url(rude.pk), {"reason": "x"}, format="json")
    unknown = as_user(eve).post(report_url(uuid.uuid4()), {"reason": "x"}, format="json")
    assert outsider.status_code == unknown.status_code == 404
    assert outsider.json() == unknown.json()


def test_refusals(ada, bob, rude):
    assert as_user(bob).post(report_url(rude.pk), {"reason": "mine"}, format="json").status_code == 400
    assert as_user(ada).post(report_url(rude.pk), {}, format="json").json()["error"]["fields"] == {
        "reason": ["This field is required."]
    }
    assert as_user(ada).post(report_url(rude.pk), {"reason": "   "}, format="json").status_code == 400
    assert APIClient().post(report_url(rude.pk), {"reason": "x"}, format="json").status_code == 401
    assert not Report.objects.exists()
