"""Revoking an incoming webhook in the admin takes the webhook's change permission, as revoking an API token
does (tests/accounts/test_admin_revoke_permission.py): the action declared no permission, so staff given only
*Can view* on webhooks could revoke any of them. Nor is a webhook deleted there: a deleted row skipped its
revocation, and its bot stayed in the conversation, a member nobody could remove through its webhook."""

from typing import cast

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from messaging.delivery.eventlog import initialise_counter
from messaging.models import Membership, Webhook
from messaging.services import webhooks
from tests.accounts.factories import UserFactory
from tests.conftest import run_action
from tests.conftest import staff_with as shared_staff_with
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/messaging/webhook/"


def staff_with(*actions: str) -> Client:
    """A staff member (not a superuser) with exactly these permissions on messaging.webhook."""
    return shared_staff_with("messaging", "webhook", *actions)


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    client.force_login(cast(User, UserFactory(username="root", is_staff=True, is_superuser=True)))
    return client


@pytest.fixture
def hook(ada, bob) -> tuple[Webhook, str]:
    team = make_conversation(ada, bob, title="Team")
    initialise_counter(team.pk)
    return webhooks.webhook_create(user=ada, conversation_id=team.pk, name="CI")


def posts(secret: str) -> bool:
    response = APIClient().post(f"/api/v1/hooks/{secret}/", {"text": "build green"}, format="json")
    return response.status_code == 202


def revoke(client: Client, webhook: Webhook) -> str:
    response = run_action(client, CHANGELIST, "revoke", [webhook])
    assert response.status_code == 200
    return response.content.decode()


def test_staff_who_may_only_view_webhooks_cannot_revoke_one(hook):
    # given: a webhook in use, and staff who may view webhooks, nothing more
    webhook, secret = hook
    viewer = staff_with("view")

    # when: they open the list, and post Revoke by hand
    listing = viewer.get(CHANGELIST)
    revoke(viewer, webhook)

    # then: they see it, were offered no Revoke, and the webhook still posts
    assert listing.status_code == 200
    assert 'value="revoke"' not in listing.content.decode()
    assert Webhook.objects.get().revoked_at is None
    assert posts(secret)


def test_staff_with_the_change_permission_revoke_a_webhook(hook):
    webhook, secret = hook
    moderator = staff_with("view", "change")

    listing = moderator.get(CHANGELIST).content.decode()
    page = revoke(moderator, webhook)

    assert '<option value="revoke">Revoke the selected webhooks</option>' in listing
    assert "Revoked: 1." in page
    assert Webhook.objects.get().revoked_at is not None
    assert not Membership.objects.filter(user=webhook.bot).exists()  # its bot left the conversation
    assert not posts(secret)


def test_nobody_deletes_a_webhook_in_the_admin(hook, superuser_client):
    # a deleted row would skip the revocation: its bot would stay a member of the conversation
    webhook, secret = hook

    listing = superuser_client.get(CHANGELIST).content.decode()
    deletion = superuser_client.post(f"{CHANGELIST}{webhook.pk}/delete/", {"post": "yes"})

    assert 'value="delete_selected"' not in listing
    assert deletion.status_code == 403
    assert Webhook.objects.filter(pk=webhook.pk).exists()
    assert Membership.objects.filter(user=webhook.bot).exists()
    assert posts(secret)
