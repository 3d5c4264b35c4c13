"""Email verification: sign-up sends a link, opening it verifies the address; a new address replaces the old
one only once verified; unverified accounts get no email notices and, when the policy requires it, cannot
post (REST or socket) until they verify."""

import uuid
from urllib.parse import urlsplit

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from accounts.models import AccountPolicy, User
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import ME_URL, client_for, login
from tests.messaging.conftest import connect  # noqa: F401
from tests.messaging.factories import make_conversation
from tests.messaging.test_socket_send import send_frame

pytestmark = pytest.mark.django_db(transaction=True)

VERIFY_URL = "/api/v1/auth/email/verify/"


def token_from(smtp_server, address: str, nth: int = 1) -> str:
    received = smtp_server.wait_for(address, count=nth)[nth - 1]
    assert received.subject == "Confirm your email address for Parley"
    [link] = received.links
    assert urlsplit(link).path == "/verify-email"
    return urlsplit(link).fragment


def verify(token: str):
    return APIClient().post(VERIFY_URL, {"token": token}, format="json")


def require_verification() -> None:
    policy = AccountPolicy.get_solo()
    policy.email_verification = AccountPolicy.EmailVerification.REQUIRED
    policy.save()


def sign_up(username: str = "newbie") -> dict:
    body = {"username": username, "email": f"{username}@example.com", "password": DEFAULT_PASSWORD}
    assert APIClient().post("/api/v1/auth/register/", body, format="json").status_code == 201
    return login(User.objects.get(username=username))


def test_sign_up_sends_a_link_that_verifies_the_address(smtp_server):
    session = sign_up()
    assert client_for(session).get(ME_URL).json()["email_verified"] is False

    assert verify(token_from(smtp_server, "newbie@example.com")).status_code == 204

    assert client_for(session).get(ME_URL).json()["email_verified"] is True


def test_a_new_address_replaces_the_old_one_only_once_verified(smtp_server):
    ada = UserFactory(email="ada@example.com")
    session = login(ada)
    change = {"email": "ada@new.example", "password": DEFAULT_PASSWORD}

    asked = client_for(session).post("/api/v1/users/me/email/", change, format="json")

    assert asked.status_code == 202
    assert client_for(session).get(ME_URL).json()["email"] == "ada@example.com"
    assert verify(token_from(smtp_server, "ada@new.example")).status_code == 204
    me = client_for(session).get(ME_URL).json()
    assert (me["email"], me["email_verified"]) == ("ada@new.example", True)


def test_changing_the_address_needs_the_password(smtp_server):
    session = login(UserFactory())
    refused = client_for(session).post(
        "/api/v1/users/me/email/", {"email": "x@example.com", "password": "nope"}, format="json"
    )
    assert refused.json()["error"]["fields"] == {"password": ["This is not your password."]}
    assert smtp_server.sent_to("x@example.com") == []


@pytest.mark.parametrize("token", ["forged", "eyJ1IjoxfQ:1tXyZa:abcdefghijklmnopqrstuvwxyz0"])
def test_forged_links_are_refused(token):
    response = verify(token)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_link")


def test_a_link_for_an_address_since_replaced_is_refused(smtp_server):
    ada = UserFactory(email="ada@example.com", email_verified_at=None)
    session = login(ada)
    client_for(session).post("/api/v1/users/me/email/verification/")
    old_link = token_from(smtp_server, "ada@example.com")
    client_for(session).post(
        "/api/v1/users/me/email/", {"email": "ada@two.example", "password": DEFAULT_PASSWORD}, format="json"
    )
    verify(token_from(smtp_server, "ada@two.example"))

    assert verify(old_link).json()["error"]["code"] == "invalid_link"
    assert client_for(session).get(ME_URL).json()["email"] == "ada@two.example"


def test_a_verified_address_is_not_sent_the_link_again():
    response = client_for(login(UserFactory())).post("/api/v1/users/me/email/verification/")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "already_verified")


def test_an_unverified_address_gets_no_notices(smtp_server):
    unverified = UserFactory(email="u@example.com", email_verified_at=None)
    verified = UserFactory(email="v@example.com")
    for user in (unverified, verified):
        change = {"current_password": DEFAULT_PASSWORD, "new_password": "another long passphrase"}
        client_for(login(user)).post("/api/v1/auth/password/change/", change, format="json")
    smtp_server.wait_for("v@example.com")  # sent after the other would have been
    assert smtp_server.sent_to("u@example.com") == []


def test_when_required_an_unverified_account_cannot_post_until_it_verifies(smtp_server):
    require_verification()
    session = sign_up("newbie")
    newbie, other = User.objects.get(username="newbie"), UserFactory()
    conversation = make_conversation(newbie, other, title="Team")
    post = {"body": "hello", "client_id": str(uuid.uuid4())}
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    assert client_for(session).get(ME_URL).json()["may_post"] is False

    refused = client_for(session).post(url, post, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "email_unverified")

    verify(token_from(smtp_server, "newbie@example.com"))
    assert client_for(session).post(url, post, format="json").status_code == 202


async def test_when_required_the_socket_refuses_sends_until_the_address_is_verified(connect, smtp_server):  # noqa: F811
    def given():
        require_verification()
        session = sign_up("newbie")
        newbie = User.objects.get(username="newbie")
        return newbie, session, make_conversation(newbie, UserFactory(), title="Team")

    newbie, session, conversation = await sync_to_async(given)()
    tab = await connect(newbie, token=session["access"])

    await tab.send(send_frame(conversation))
    error = await tab.receive_type("error")
    assert error["code"] == "email_unverified"

    token = await sync_to_async(token_from)(smtp_server, "newbie@example.com")
    await sync_to_async(verify)(token)
    # the open socket hears of it (on whichever worker it is) and says so
    assert await tab.receive_type("account") == {"type": "account", "may_post": True}

    frame = send_frame(conversation)
    await tab.send(frame)
    ack = await tab.receive_type("message.ack", skip=("presence", "message.new"))
    assert ack["client_id"] == frame["client_id"]
