"""The admin's Login sessions and API tokens are signed out and revoked, never deleted: deleting the row
skipped the revocation (the deleted session's access token kept working and its open socket kept receiving, as
did a deleted API token's socket). Signing out and revoking there work at once, and say how many they did."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.models import ApiToken, Invitation, LoginSession
from accounts.tokens import SESSION_CLAIM
from realtime.close_codes import UNAUTHENTICATED
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import ME_URL, client_for, login
from tests.conftest import run_action

pytestmark = pytest.mark.django_db(transaction=True)

SESSIONS = "/admin/accounts/loginsession/"
TOKENS = "/admin/accounts/apitoken/"
INVITATIONS = "/admin/accounts/invitation/"


def superuser_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("changelist", [SESSIONS, TOKENS])
def test_neither_sessions_nor_tokens_can_be_deleted_in_the_admin(ada, changelist):
    session = login(ada)
    services.api_token_create(user=ada, name="script", created_by=ada)
    row = (LoginSession if changelist == SESSIONS else ApiToken).objects.get()
    admin = superuser_client()

    listing = admin.get(changelist).content.decode()
    assert 'value="delete_selected"' not in listing
    assert admin.get(f"{changelist}{row.pk}/delete/").status_code == 403
    deleted = admin.post(
        changelist, {"action": "delete_selected", "_selected_action": [row.pk], "index": 0}, follow=True
    )
    assert "No action selected." in deleted.content.decode()  # there is no such action
    assert type(row).objects.filter(pk=row.pk).exists()
    assert client_for(session).get(ME_URL).status_code == 200


async def test_signing_a_session_out_in_the_admin_ends_it_at_once_and_says_so(connect, ada):
    # given: ada on two devices, a tab open on the first
    laptop, phone = await sync_to_async(login)(ada), await sync_to_async(login)(ada)
    laptop_tab = await connect(ada, token=laptop["access"])
    laptop_row = await LoginSession.objects.aget(pk=AccessToken(laptop["access"])[SESSION_CLAIM])
    admin = await sync_to_async(superuser_client)()

    # when: an admin signs the laptop's session out
    page = (await sync_to_async(run_action)(admin, SESSIONS, "end", [laptop_row])).content.decode()

    # then: its tab closes, its access token is refused; the phone carries on; the admin is told
    assert "Signed out: 1." in page
    assert await laptop_tab.close_code() == UNAUTHENTICATED
    assert (await sync_to_async(client_for(laptop).get)(ME_URL)).status_code == 401
    assert (await sync_to_async(client_for(phone).get)(ME_URL)).status_code == 200
    again = await sync_to_async(run_action)(admin, SESSIONS, "end", [laptop_row])
    assert "Signed out already: 1." in again.content.decode()


async def test_revoking_a_token_in_the_admin_closes_its_sockets_and_says_so(connect, ada):
    token, raw = await sync_to_async(services.api_token_create)(user=ada, name="script", created_by=ada)
    tab = await connect(ada, token=raw)
    admin = await sync_to_async(superuser_client)()

    page = (await sync_to_async(run_action)(admin, TOKENS, "revoke", [token])).content.decode()

    assert "Revoked: 1." in page
    assert await tab.close_code() == UNAUTHENTICATED
    again = await sync_to_async(run_action)(admin, TOKENS, "revoke", [token])
    assert "Revoked already: 1." in again.content.decode()


def test_revoking_invitations_in_the_admin_says_how_many(ada):
    first, _ = services.invitation_create(creator=ada, max_uses=1, days=1)
    second, _ = services.invitation_create(creator=ada, max_uses=1, days=1)
    admin = superuser_client()

    assert "Revoked: 2." in run_action(admin, INVITATIONS, "revoke", [first, second]).content.decode()
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 0
    assert "Revoked already: 2." in run_action(admin, INVITATIONS, "revoke", [first, second]).content.decode()
