"""Password reset by email: the link comes over SMTP, works once, expires, and ends every session; the request
answers alike for any address, and is throttled per address and per client address."""

from urllib.parse import urlsplit

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from accounts import services
from realtime.close_codes import UNAUTHENTICATED
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import login, refresh
from tests.conftest import take_queued_task
from tests.messaging.conftest import ada, connect  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

ASK_URL = "/api/v1/auth/password/reset/"
CONFIRM_URL = "/api/v1/auth/password/reset/confirm/"
NEW_PASSWORD = "a brand new passphrase"


def ask(address: str, ip: str = "10.1.1.1"):
    return APIClient().post(ASK_URL, {"email": address}, format="json", REMOTE_ADDR=ip)


def link_parts(smtp_server, address: str) -> dict:
    """uid and token of the newest reset link sent to `address`, read off the SMTP server."""
    received = smtp_server.wait_for(address, count=len(smtp_server.sent_to(address)) or 1)[-1]
    [link] = received.links
    uid, token = urlsplit(link).fragment.split(".", 1)
    return {"uid": uid, "token": token}


def confirm(parts: dict, password: str = NEW_PASSWORD):
    return APIClient().post(CONFIRM_URL, {**parts, "new_password": password}, format="json")


async def test_the_emailed_link_sets_a_new_password_and_ends_every_session(connect, ada, smtp_server):  # noqa: F811
    # given: ada signed in on a device with a socket open
    device = await sync_to_async(login)(ada)
    tab = await connect(ada, token=device["access"])

    # when: she asks for a reset, opens the link from her email and chooses a new password
    assert (await sync_to_async(ask)("ADA@example.com ")).status_code == 202
    parts = await sync_to_async(link_parts)(smtp_server, ada.email)
    response = await sync_to_async(confirm)(parts)

    # then: the new password works, and the old session is over, its socket closed
    assert response.status_code == 204
    assert await tab.close_code() == UNAUTHENTICATED
    assert await sync_to_async(refresh)(device) == 401
    await sync_to_async(login)(ada, password=NEW_PASSWORD)


def test_the_email_names_the_account_and_links_to_the_web_app(ada, smtp_server):  # noqa: F811
    ask(ada.email)
    [received] = smtp_server.wait_for(ada.email)
    assert received.subject == "Reset your Parley password"
    assert f"@{ada.username}" in received.body()
    [link] = received.links
    assert link.startswith("http://testserver/reset-password#")
    assert link in received.body("html")


def test_a_link_works_once(ada, smtp_server):  # noqa: F811
    ask(ada.email)
    parts = link_parts(smtp_server, ada.email)
    assert confirm(parts).status_code == 204

    again = confirm(parts, password="yet another passphrase")

    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_link"
    login(ada, password=NEW_PASSWORD)


def test_an_expired_link_is_refused(ada, smtp_server, settings):  # noqa: F811
    ask(ada.email)
    parts = link_parts(smtp_server, ada.email)
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link made so far is past its time

    response = confirm(parts)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_link"
    assert "Ask for a new one" in response.json()["error"]["detail"]
    login(ada)


@pytest.mark.parametrize(
    "parts",
    [
        {"uid": "MQ", "token": "forged-token"},
        {"uid": "%%%", "token": "x"},
        {"uid": "OTk5OTk5", "token": "abc-def"},
    ],
)
def test_forged_links_are_refused_with_a_clear_error(ada, parts):  # noqa: F811
    response = confirm(parts)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_link"


def test_a_weak_password_keeps_the_link_usable(ada, smtp_server):  # noqa: F811
    ask(ada.email)
    parts = link_parts(smtp_server, ada.email)
    assert confirm(parts, password="123").json()["error"]["fields"]["new_password"]
    assert confirm(parts).status_code == 204


def test_unknown_and_known_addresses_get_the_same_answer_and_the_same_request_work(
    ada,  # noqa: F811
    django_assert_num_queries,
):
    # given: no email settings, so the tasks wait in RabbitMQ; when: a known and an unknown address ask
    with django_assert_num_queries(0):
        known = ask(ada.email, ip="10.2.0.1")
    with django_assert_num_queries(0):
        unknown = ask("nobody@example.com", ip="10.2.0.2")

    # then: the same answer, and each request queued the same task: the lookup is the worker's
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    queued = [take_queued_task("celery") for _ in range(2)]
    assert [task.headers["task"] for task in queued] == ["accounts.tasks.send_password_reset_task"] * 2
    assert [task.decode()[0][0] for task in queued] == [ada.email, "nobody@example.com"]


def test_no_link_for_bots_suspended_or_passwordless_accounts(ada, smtp_server):  # noqa: F811
    services.user_suspend(user=UserFactory(email="sus@example.com"), reason="spam")
    passwordless = UserFactory(email="none@example.com")
    passwordless.set_unusable_password()
    passwordless.save()
    for address in ("sus@example.com", "none@example.com", ada.email):
        ask(address)
    smtp_server.wait_for(ada.email)  # the last asked for, so the others were handled before
    assert smtp_server.sent_to("sus@example.com") == smtp_server.sent_to("none@example.com") == []


def test_asking_is_throttled_per_address_across_client_addresses(ada, smtp_server):  # noqa: F811
    answers = [ask(ada.email, ip=f"10.3.0.{n}").status_code for n in range(5)]
    assert answers == [202] * 5
    throttled = ask(ada.email.upper(), ip="10.3.1.1")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert len(smtp_server.wait_for(ada.email, count=5)) == 5


def test_asking_is_throttled_per_client_address(smtp_server):
    answers = [ask(f"n{n}@example.com", ip="10.4.0.1").status_code for n in range(20)]
    assert set(answers) == {202}
    assert ask("late@example.com", ip="10.4.0.1").status_code == 429
    assert ask("late@example.com", ip="10.4.0.2").status_code == 202


def test_a_malformed_address_gets_the_standard_error(smtp_server):
    response = ask("not an address")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["email"]
