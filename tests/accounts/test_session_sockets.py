"""Logging out closes the sockets opened with that login session's tokens, through the hub (as on every
worker), and no other socket of the user."""

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from accounts import services
from realtime.close_codes import UNAUTHENTICATED
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.messaging.conftest import Client, ada, connect  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def login(user) -> dict:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()


def logout(refresh: str) -> None:
    response = APIClient().post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")
    assert response.status_code == 204


async def pongs(tab: Client) -> bool:
    await tab.send({"type": "ping"})
    return await tab.receive_type("pong") == {"type": "pong"}


async def test_logout_closes_the_sessions_sockets_and_only_those(connect, ada):  # noqa: F811
    # given: ada logged in on two devices, and holds a personal API token too, each with a socket open
    laptop, phone = await sync_to_async(login)(ada), await sync_to_async(login)(ada)
    _, api_token = await sync_to_async(services.api_token_create)(user=ada, name="script", created_by=ada)
    laptop_tab = await connect(ada, token=laptop["access"])
    phone_tab = await connect(ada, token=phone["access"])
    script_tab = await connect(ada, token=api_token)

    # when: the laptop logs out
    await sync_to_async(logout)(laptop["refresh"])

    # then: the laptop's socket closes with 4401 at once, the phone's and the script's carry on
    assert await laptop_tab.close_code() == UNAUTHENTICATED
    assert await pongs(phone_tab)
    assert await pongs(script_tab)
