"""The reports queue reads in the same number of queries however many reports it shows: a moderator's queue of
200 reports does not ask the database once more per row (each row's checkbox names its report, "Report by alan
of grace's message in Engine room", which reads the message's conversation)."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from moderation.models import Report
from tests.accounts.factories import UserFactory
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = "/admin/moderation/report/"


def _report_until(count: int, conversation, sender) -> None:
    while (seq := Report.objects.count()) < count:
        reporter: Any = UserFactory()
        message = store_message(conversation, sender, seq=seq + 1, body=f"rude {seq}")
        Report.objects.create(message=message, reporter=reporter, reason="rude", message_body=message.body)


def _queries(client, url: str) -> int:
    client.get(url)  # once first: the first page of a session reads what later pages have cached
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("url", [REPORTS, f"{REPORTS}?status__exact=open&q=bob"])
def test_the_queue_of_200_reports_takes_as_many_queries_as_a_queue_of_2(moderator_client, ada, bob, url):
    # given: a conversation with 2 reported messages
    engine_room = make_conversation(ada, bob, title="Engine room")
    _report_until(2, engine_room, bob)
    few = _queries(moderator_client, url)

    # when: 200 are reported
    _report_until(200, engine_room, bob)

    # then: the queue's page (its first 100) reads in as many queries, and names each report whole
    assert _queries(moderator_client, url) == few
    page = moderator_client.get(url)
    assert page.content.decode().count("of bob&#x27;s message in Engine room") == 100
