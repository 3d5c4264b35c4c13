"""A moderator reads a reported message in its context: its page shows the messages sent just before and after
it in its conversation (who, what, each linked to its page), so that a reply is judged with what it answered.
The page showed the message alone."""

import pytest

from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_message_s_page_shows_the_five_messages_before_and_after_it(moderator_client, ada, bob):
    # given: twelve messages in turn, the seventh bob's reply to ada's sixth, the fourth deleted
    room = make_conversation(ada, bob, title="Engine room")
    said = [
        store_message(room, [ada, bob][n % 2], seq=n + 1, body=f"line {n + 1}", **deleted)
        for n, deleted in enumerate([{}] * 3 + [{"deleted_at": "2026-01-01T00:00Z"}] + [{}] * 8)
    ]
    reply = said[6]

    # when
    html = moderator_client.get(f"/admin/messaging/message/{reply.pk}/change/").content.decode()

    # then: lines 2 to 12 (the deleted one marked so), in order, the reply itself marked, each linked
    shown = html[html.index('id="message-context"') :]
    positions = [shown.index(f"line {n}<") for n in (2, 3, 5, 6, 7, 8, 12)]
    assert positions == sorted(positions)
    assert "line 1<" not in shown
    assert "(deleted)" in shown
    items = shown[: shown.index("</ol>")].split("<li>")
    assert [item for item in items if "<strong>" in item] == [next(i for i in items if "line 7<" in i)]
    for message in said[1:]:
        assert f"/admin/messaging/message/{message.pk}/change/" in shown
