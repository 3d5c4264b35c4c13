"""Changing a password needs the current one, keeps this session signed in and ends every other one at once,
their sockets included."""

import pytest
from asgiref.sync import sync_to_async

from realtime.close_codes import UNAUTHENTICATED
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.accounts.helpers import ME_URL, client_for, login, refresh
from tests.accounts.test_session_sockets import pongs
from tests.messaging.conftest import ada, connect  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/auth/password/change/"
NEW_PASSWORD = "a much longer new passphrase"


def change(tokens: dict, current: str, new: str):
    return client_for(tokens).post(URL, {"current_password": current, "new_password": new}, format="json")


async def test_a_change_ends_every_other_session_and_closes_their_sockets_at_once(connect, ada, smtp_server):  # noqa: F811
    # given: ada on her laptop and her phone, each with a socket open
    laptop, phone = await sync_to_async(login)(ada), await sync_to_async(login)(ada)
    laptop_tab = await connect(ada, token=laptop["access"])
    phone_tab = await connect(ada, token=phone["access"])

    # when: she changes her password on the laptop
    response = await sync_to_async(change)(laptop, DEFAULT_PASSWORD, NEW_PASSWORD)

    # then: the phone's socket closes with 4401 and its tokens are refused; the laptop carries on
    assert response.status_code == 204
    assert await phone_tab.close_code() == UNAUTHENTICATED
    assert await sync_to_async(refresh)(phone) == 401
    assert (await sync_to_async(client_for(phone).get)(ME_URL)).status_code == 401
    assert await pongs(laptop_tab)
    assert await sync_to_async(refresh)(laptop) == 200
    # and the new password signs in, the old one no longer
    await sync_to_async(login)(ada, password=NEW_PASSWORD)
    [notice] = await sync_to_async(smtp_server.wait_for)(ada.email)
    assert notice.subject == "Your Parley password was changed"


def test_a_wrong_current_password_changes_nothing(ada, smtp_server):  # noqa: F811
    session = login(ada)
    response = change(session, "not my password", NEW_PASSWORD)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"current_password": ["This is not your current password."]}
    login(ada)  # the old password still works
    assert smtp_server.sent_to(ada.email) == []


def test_a_weak_new_password_is_refused_with_the_validators_reasons(ada):  # noqa: F811
    response = change(login(ada), DEFAULT_PASSWORD, "12345")
    assert response.status_code == 400
    messages = response.json()["error"]["fields"]["new_password"]
    assert any("too short" in message for message in messages)
    login(ada)


def test_guessing_the_current_password_is_throttled_per_user(ada, settings):  # noqa: F811
    session = login(ada)
    answers = [change(session, f"guess {n}", NEW_PASSWORD).status_code for n in range(10)]
    assert answers == [400] * 10
    throttled = change(session, DEFAULT_PASSWORD, NEW_PASSWORD)
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"


def test_only_wrong_passwords_count_towards_the_limit(ada):  # noqa: F811
    # given: ada types her right password a dozen times with new ones too weak, each refused for the new one
    session = login(ada)
    weak = [change(session, DEFAULT_PASSWORD, "12345").status_code for _ in range(12)]
    assert weak == [400] * 12
    # and gets her current password wrong 9 times
    assert [change(session, f"guess {n}", NEW_PASSWORD).status_code for n in range(9)] == [400] * 9
    # then: none of that used up her 10 wrong ones; a good change goes through
    assert change(session, DEFAULT_PASSWORD, NEW_PASSWORD).status_code == 204


def test_an_api_token_cannot_change_the_password(ada):  # noqa: F811
    from accounts import services

    _, raw = services.api_token_create(user=ada, name="script", created_by=ada)
    response = client_for({"access": raw}).post(
        URL, {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 403
    login(ada)
