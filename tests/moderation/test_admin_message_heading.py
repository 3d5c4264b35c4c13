"""A message's page in the admin is headed, titled and placed in the breadcrumbs by who sent it where ("bob's
message in Engine room"): it said "1#3", its conversation's id and its seq, which tells a moderator nothing.
The list of messages still reads in as many queries however many rows it shows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import Message
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = "/admin/messaging/message/"
BOBS_MESSAGE = "bob&#x27;s message in Engine room"


def _inside(pattern: str, html: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found is not None
    return found.group(1)


def test_a_messages_page_names_its_sender_and_conversation(moderator_client, ada, bob):
    # given: bob's third message in Engine room
    engine_room = make_conversation(ada, bob, title="Engine room")
    store_message(engine_room, bob, seq=1)
    store_message(engine_room, ada, seq=2)
    message = store_message(engine_room, bob, seq=3, body="rude words")

    # when: a moderator opens its page
    page = moderator_client.get(f"{MESSAGES}{message.pk}/change/")

    # then: its title, heading and breadcrumbs say whose message it is and where, not "<id>#3"
    html = page.content.decode()
    assert page.status_code == 200
    assert BOBS_MESSAGE in _inside(r"<title>(.*?)</title>", html)
    assert f"<h2>{BOBS_MESSAGE}</h2>" in html
    assert BOBS_MESSAGE in _inside(r'<div class="breadcrumbs">(.*?)</div>', html)
    assert f"{engine_room.pk}#3" not in html


def _queries(client) -> int:
    client.get(MESSAGES)  # once first: the first page of a session reads what later pages have cached
    with CaptureQueriesContext(connection) as queries:
        page = client.get(MESSAGES)
    assert page.status_code == 200
    return len(queries.captured_queries)


def test_the_list_of_100_messages_takes_as_many_queries_as_a_list_of_2(moderator_client, ada, bob):
    engine_room = make_conversation(ada, bob, title="Engine room")
    for seq in (1, 2):
        store_message(engine_room, bob, seq=seq)
    few = _queries(moderator_client)

    for seq in range(3, 101):
        store_message(engine_room, bob, seq=seq)

    assert Message.objects.count() == 100
    assert _queries(moderator_client) == few
