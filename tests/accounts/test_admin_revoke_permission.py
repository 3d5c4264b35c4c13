"""Revoking in the admin (an API token, an invitation; signing a login session out) is a change, not a
deletion: it takes the model's change permission. It took the delete permission, so a moderator given view
and change on API tokens was offered no action at all, and a Revoke posted by hand did nothing."""

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.models import ApiToken, Invitation, LoginSession
from accounts.tokens import SESSION_CLAIM
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import ME_URL, client_for, login
from tests.conftest import run_action
from tests.conftest import staff_with as shared_staff_with

pytestmark = pytest.mark.django_db(transaction=True)


def staff_with(model: str, *actions: str) -> Client:
    """A staff member (not a superuser) with exactly these permissions on accounts.<model>."""
    return shared_staff_with("accounts", model, *actions)


def revoke(client: Client, changelist: str, action: str, row) -> str:
    response = run_action(client, changelist, action, [row])
    assert response.status_code == 200
    return response.content.decode()


def token_works(raw: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client.get(ME_URL).status_code == 200


def test_a_moderator_with_the_change_permission_revokes_a_token():
    # given: ada's token in use, and a moderator who may view and change API tokens (not delete them)
    ada = UserFactory(username="ada")
    token, raw = services.api_token_create(user=ada, name="script", created_by=ada)
    assert token_works(raw)
    moderator = staff_with("apitoken", "view", "change")

    # when: they open the list and revoke it
    listing = moderator.get("/admin/accounts/apitoken/").content.decode()
    page = revoke(moderator, "/admin/accounts/apitoken/", "revoke", token)

    # then: Revoke was offered, the token is refused from then on, and they are told so
    assert '<option value="revoke">Revoke the selected tokens</option>' in listing
    assert "Revoked: 1." in page
    assert not token_works(raw)


@pytest.mark.parametrize("without_change", [("view",), ("view", "delete")])
def test_a_moderator_without_the_change_permission_cannot_revoke_a_token(without_change):
    ada = UserFactory(username="ada")
    token, raw = services.api_token_create(user=ada, name="script", created_by=ada)
    moderator = staff_with("apitoken", *without_change)

    listing = moderator.get("/admin/accounts/apitoken/")
    revoke(moderator, "/admin/accounts/apitoken/", "revoke", token)  # posted by hand: nothing happens

    assert listing.status_code == 200  # they see the tokens
    assert 'value="revoke"' not in listing.content.decode()
    assert ApiToken.objects.get().revoked_at is None
    assert token_works(raw)


@pytest.mark.parametrize(("actions", "signed_out"), [(("view", "change"), True), (("view", "delete"), False)])
def test_signing_a_session_out_takes_the_change_permission(actions, signed_out):
    ada = UserFactory(username="ada")
    session = login(ada)
    row = LoginSession.objects.get(pk=AccessToken(session["access"])[SESSION_CLAIM])

    revoke(staff_with("loginsession", *actions), "/admin/accounts/loginsession/", "end", row)

    assert LoginSession.objects.get().has_ended is signed_out
    assert client_for(session).get(ME_URL).status_code == (401 if signed_out else 200)


@pytest.mark.parametrize(("actions", "revoked"), [(("view", "change"), True), (("view", "delete"), False)])
def test_revoking_an_invitation_takes_the_change_permission(actions, revoked):
    invitation, _ = services.invitation_create(creator=UserFactory(), max_uses=1, days=1)

    revoke(staff_with("invitation", *actions), "/admin/accounts/invitation/", "revoke", invitation)

    assert (Invitation.objects.get().revoked_at is not None) is revoked
