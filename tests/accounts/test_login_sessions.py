"""Where am I signed in: each sign-in is a session, listed with its device, address and last use; any one can
be signed out, at once (tokens refused, sockets closed), or all of them."""

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from accounts.models import LoginSession
from realtime.close_codes import UNAUTHENTICATED
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import DEFAULT_PASSWORD, LOGIN_URL, ME_URL, client_for, login, refresh
from tests.accounts.test_session_sockets import pongs
from tests.messaging.conftest import ada, connect  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/sessions/"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)


def test_the_list_names_each_device_its_address_and_which_one_is_asking(ada, django_assert_num_queries):  # noqa: F811
    laptop = login(ada, user_agent=FIREFOX, ip="203.0.113.7")
    login(ada, user_agent=IPHONE, ip="2001:db8::1")
    login(UserFactory())  # someone else's session is never listed

    with django_assert_num_queries(2):  # the user, then the sessions
        sessions = client_for(laptop).get(URL).json()

    assert [(s["device"], s["ip_address"], s["current"]) for s in sessions] == [
        ("Mobile Safari 17 on iOS", "2001:db8::1", False),
        ("Firefox 133 on Linux", "203.0.113.7", True),
    ]
    assert {"created_at", "last_seen_at", "id"} <= set(sessions[0])


def test_a_new_session_was_last_seen_when_it_was_created(ada):  # noqa: F811
    # last_seen_at was taken before the insert stamped created_at: a few µs before the session began
    session = login(ada)
    row = LoginSession.objects.get()
    assert row.last_seen_at == row.created_at
    (listed,) = client_for(session).get(URL).json()
    assert listed["last_seen_at"] == listed["created_at"]


def test_a_refresh_moves_last_seen_and_the_address(ada):  # noqa: F811
    session = login(ada, ip="203.0.113.7")
    row = LoginSession.objects.get()
    LoginSession.objects.filter(pk=row.pk).update(last_seen_at=row.last_seen_at.replace(year=2020))

    client_for(session).post(
        "/api/v1/auth/token/refresh/",
        {"refresh": session["refresh"]},
        format="json",
        REMOTE_ADDR="198.51.100.2",
    )

    row.refresh_from_db()
    assert row.last_seen_at.year > 2020
    assert row.ip_address == "198.51.100.2"


def test_behind_the_trusted_proxy_the_address_is_the_clients_not_the_proxys(ada, settings):  # noqa: F811
    # given Parley behind nginx (127.0.0.1, trusted), which appends the client's address
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    session = (
        APIClient()
        .post(
            LOGIN_URL,
            {"username": ada.username, "password": DEFAULT_PASSWORD},
            format="json",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
        .json()
    )
    # then the session shows the client's address, as the rate limits count it (it showed nginx's)
    sessions = client_for(session).get(URL).json()
    assert [s["ip_address"] for s in sessions] == ["203.0.113.7"]


async def test_revoking_a_session_closes_its_sockets_and_refuses_its_tokens_at_once(connect, ada):  # noqa: F811
    # given: ada on her laptop and on a phone she lost, both with a socket open
    laptop, phone = await sync_to_async(login)(ada), await sync_to_async(login)(ada)
    laptop_tab, phone_tab = (
        await connect(ada, token=laptop["access"]),
        await connect(ada, token=phone["access"]),
    )
    sessions = (await sync_to_async(client_for(laptop).get)(URL)).json()
    [lost] = [s["id"] for s in sessions if not s["current"]]

    # when: she signs the phone out from the laptop
    response = await sync_to_async(client_for(laptop).delete)(f"{URL}{lost}/")

    # then: the phone's socket closes now, its access and refresh tokens are refused, the laptop carries on
    assert response.status_code == 204
    assert await phone_tab.close_code() == UNAUTHENTICATED
    assert (await sync_to_async(client_for(phone).get)(ME_URL)).status_code == 401
    assert await sync_to_async(refresh)(phone) == 401
    assert await pongs(laptop_tab)
    assert [s["current"] for s in (await sync_to_async(client_for(laptop).get)(URL)).json()] == [True]


def test_someone_elses_or_an_ended_session_is_not_found(ada):  # noqa: F811
    mine = login(ada)
    theirs = login(UserFactory())
    their_id = LoginSession.objects.exclude(user=ada).get().pk

    response = client_for(mine).delete(f"{URL}{their_id}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert refresh(theirs) == 200


@pytest.mark.parametrize("session_id", ["%00", "a%00b", "%ED%A0%80", "x" * 5_000])
def test_a_session_id_no_session_can_have_is_not_found_and_signs_nothing_out(ada, session_id):  # noqa: F811
    # a NUL reached PostgreSQL, which refuses it in text (ValueError): a 500
    mine = login(ada)
    response = client_for(mine).delete(f"{URL}{session_id}/")

    assert response.status_code == 404, response.content
    assert response.json()["error"] == {"code": "not_found", "detail": "No such session.", "fields": {}}
    assert refresh(mine) == 200


def test_signing_out_everywhere_ends_every_session_this_one_too(ada):  # noqa: F811
    first, second = login(ada), login(ada)

    response = client_for(first).post(f"{URL}sign-out-everywhere/")

    assert response.status_code == 204
    assert [refresh(first), refresh(second)] == [401, 401]
    assert client_for(second).get(ME_URL).status_code == 401
    assert LoginSession.objects.filter(ended_at__isnull=True).count() == 0


def test_logging_out_ends_the_session_in_the_list(ada):  # noqa: F811
    stays, leaves = login(ada), login(ada)
    client_for(leaves).post("/api/v1/auth/logout/", {"refresh": leaves["refresh"]}, format="json")
    assert [s["current"] for s in client_for(stays).get(URL).json()] == [True]
