"""Every endpoint addressed by a message answers one 404 for a message that does not exist and for one the
caller may not see (docs/api.md: the two are indistinguishable), in the same words (messaging.selectors.
NO_SUCH_MESSAGE). A malformed id is answered as one that does not exist (tests/test_path_ids.py)."""

import uuid

import pytest

from messaging.selectors import NO_SUCH_MESSAGE
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db

NO_SUCH = {"error": {"code": "not_found", "detail": NO_SUCH_MESSAGE, "fields": {}}}


def requests(message_id, elsewhere_id) -> list[tuple[str, str, dict | None]]:
    """(method, path, body) of each endpoint addressed by a message, with a valid body."""
    url = f"/api/v1/messages/{message_id}/"
    return [
        ("patch", url, {"body": "edited"}),
        ("delete", url, None),
        ("post", f"{url}reactions/", {"emoji": "👍"}),
        ("delete", f"{url}reactions/?emoji=%F0%9F%91%8D", None),
        ("delete", f"{url}reactions/", {"emoji": "👍"}),
        ("put", f"{url}pin/", None),
        ("delete", f"{url}pin/", None),
        ("post", f"{url}forward/", {"conversation": elsewhere_id, "client_id": str(uuid.uuid4())}),
        ("post", f"{url}report/", {"reason": "rude"}),
        ("get", f"{url}thread/", None),
        ("put", f"{url}thread/follow/", None),
        ("delete", f"{url}thread/follow/", None),
        ("post", f"{url}thread/read/", {"seq": 1}),
    ]


def test_a_message_one_may_not_see_or_that_does_not_exist_is_the_same_404_everywhere(
    as_user, ada, bob, eve, team
):
    # given a message of ada's team, which eve is not in, and a conversation of eve's own
    message = store_message(team, bob, 1, "team only")
    elsewhere = make_conversation(eve, title="Eve's")
    answers = {}
    for message_id in (message.pk, uuid.uuid4()):
        for method, path, body in requests(message_id, elsewhere.pk):
            # when eve addresses it
            response = getattr(as_user(eve), method)(path, body, format="json")
            answers[method, path] = (response.status_code, response.json())
    # then she is told there is no such message, in the same words, whatever she asked
    assert {key: answer for key, answer in answers.items() if answer != (404, NO_SUCH)} == {}
