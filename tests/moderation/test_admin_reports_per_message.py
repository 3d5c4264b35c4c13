"""The queue shows, on each report's row, how many open reports its message has: three reports of one message
read as one message reported three times, not as three unrelated rows. The count is part of the queue's one
query (no query per row), and moderators sort and filter the queue by it."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from moderation.models import Report
from tests.accounts.factories import UserFactory
from tests.conftest import run_action
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = "/admin/moderation/report/"


@pytest.fixture
def room(ada, bob):
    return make_conversation(ada, bob, title="Engine room")


def report(message, times: int) -> list[Report]:
    reporters: list[Any] = [UserFactory() for _ in range(times)]
    return [
        Report.objects.create(message=message, reporter=r, reason="rude", message_body=message.body)
        for r in reporters
    ]


def counts(client, url: str = REPORTS) -> dict[str, list[int]]:
    """{the reported text: the open-reports count shown on each of its rows}"""
    changelist = client.get(url).context["cl"]
    shown: dict[str, list[int]] = {}
    for row in changelist.result_list:
        shown.setdefault(row.message_body, []).append(changelist.model_admin.open_reports(row))
    return shown


def test_each_row_shows_how_many_open_reports_its_message_has(moderator_client, room, bob):
    # given: one message of bob's reported three times, another once
    threat = store_message(room, bob, body="a threat")
    report(threat, 3)
    report(store_message(room, bob, 2, body="a joke"), 1)
    # when the moderator opens the queue
    page = moderator_client.get(REPORTS)
    # then: each of the threat's rows says 3, the joke's 1 (the rows said nothing of it)
    assert "open reports" in page.content.decode()
    assert counts(moderator_client) == {"a threat": [3, 3, 3], "a joke": [1]}


def test_a_resolved_message_s_reports_count_none_open(moderator_client, room, bob):
    # given: two reports of a message, and one of another, which the moderator dismissed
    threat = store_message(room, bob, body="a threat")
    report(threat, 2)
    run_action(moderator_client, REPORTS, "dismiss", report(store_message(room, bob, 2, body="a joke"), 1))
    # then
    assert counts(moderator_client) == {"a threat": [2, 2], "a joke": [0]}


def test_the_queue_sorts_and_filters_by_it(moderator_client, room, bob):
    # given
    report(store_message(room, bob, body="once"), 1)
    report(store_message(room, bob, 2, body="thrice"), 3)
    report(store_message(room, bob, 3, body="twice"), 2)
    # when sorted by the column, most first
    changelist = moderator_client.get(REPORTS).context["cl"]
    column = changelist.list_display.index("open_reports")
    by_most = counts(moderator_client, f"{REPORTS}?o=-{column}")
    # then
    assert list(by_most) == ["thrice", "twice", "once"]
    # and filtered to the messages reported more than once, or once
    assert set(counts(moderator_client, f"{REPORTS}?open_reports=several")) == {"thrice", "twice"}
    assert set(counts(moderator_client, f"{REPORTS}?open_reports=1")) == {"once"}


def test_the_counts_take_no_query_per_row(moderator_client, room, bob, django_assert_num_queries):
    # given: the queue of 2 reports of 2 messages, its queries counted
    report(store_message(room, bob, body="one"), 1)
    report(store_message(room, bob, 2, body="two"), 1)
    moderator_client.get(REPORTS)  # once first: the session's first page reads what later ones cache
    with CaptureQueriesContext(connection) as few:
        moderator_client.get(REPORTS)
    # when: 40 more reports of 10 more messages
    for seq in range(3, 13):
        report(store_message(room, bob, seq, body=f"more {seq}"), 4)
    # then: the queue, counts and all, reads in as many queries
    with django_assert_num_queries(len(few.captured_queries)):
        page = moderator_client.get(REPORTS)
    assert counts(moderator_client)["more 3"] == [4, 4, 4, 4]
    assert page.status_code == 200
