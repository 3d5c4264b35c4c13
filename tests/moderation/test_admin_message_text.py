"""The moderators' list of messages shows what each says, cut short: its rows read "bob's message in Engine
room" at best, so a moderator scanning it did not know what any message said. A deleted message's row says it
was deleted, or removed by a moderator, where its text was; the list still reads in as many queries however
many rows it shows."""

import re

import pytest

from messaging.services import message_delete
from moderation import services
from tests.messaging.factories import make_conversation, store_message
from tests.moderation.test_admin_message_heading import MESSAGES, _queries

pytestmark = pytest.mark.django_db(transaction=True)


def _texts(page) -> list[str]:
    """The text column's cells, top to bottom."""
    cells = re.findall(r'<td class="field-text">(.*?)</td>', page.content.decode(), re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_the_list_shows_each_message_s_text_cut_short_and_what_became_of_the_deleted(
    moderator_client, moderator, ada, bob
):
    # given: in Engine room, a long message, a short one, one bob deleted and one a moderator removed
    engine_room = make_conversation(ada, bob, title="Engine room")
    store_message(engine_room, bob, seq=1, body="the pump on deck two\n is leaking " + "again " * 30)
    store_message(engine_room, ada, seq=2, body="I'll <b>fix</b> it")
    deleted = store_message(engine_room, bob, seq=3, body="oops, wrong room")
    message_delete(user=bob, message_id=deleted.pk)
    rude = store_message(engine_room, bob, seq=4, body="rude words")
    services.message_remove(moderator=moderator, message=rude, reason="rude")

    # when: a moderator opens the list of messages (newest conversation's messages by seq)
    page = moderator_client.get(f"{MESSAGES}?o=3")

    # then: each row shows its text, on one line and cut short, or what became of it
    texts = _texts(page)
    assert texts[0].startswith("the pump on deck two is leaking again")
    assert (texts[0][-1], len(texts[0])) == ("…", 80)
    assert texts[1:] == ["I&#x27;ll &lt;b&gt;fix&lt;/b&gt; it", "(deleted)", "(removed by a moderator)"]


def test_the_list_with_deleted_and_removed_messages_takes_as_many_queries_for_100_rows_as_for_2(
    moderator_client, moderator, ada, bob
):
    engine_room = make_conversation(ada, bob, title="Engine room")
    for seq in (1, 2):
        store_message(engine_room, bob, seq=seq)
    few = _queries(moderator_client)

    for seq in range(3, 101):
        message = store_message(engine_room, bob, seq=seq, body=f"message {seq}")
        if seq % 3 == 0:
            message_delete(user=bob, message_id=message.pk)
        elif seq % 3 == 1:
            services.message_remove(moderator=moderator, message=message, reason="rude")

    page = moderator_client.get(MESSAGES)
    assert {"(deleted)", "(removed by a moderator)", "message 98"} <= set(_texts(page))
    assert _queries(moderator_client) == few
