import pytest
from django.apps import apps
from django.test import Client

from moderation.groups import sync_moderators_group
from tests.accounts.factories import UserFactory
from tests.messaging.conftest import ada, bob, connect, eve, team  # noqa: F401  (socket fixtures)


def run_action(client: Client, changelist: str, action: str, objects, reason: str = "spam"):
    return client.post(
        changelist,
        {"action": action, "_selected_action": [str(o.pk) for o in objects], "reason": reason, "index": 0},
        follow=True,
    )


@pytest.fixture
def moderator(transactional_db):
    """A staff member (not a superuser) in the Moderators group. The group is made by a data migration; it is
    synced here again because transactional tests flush the database."""
    group = sync_moderators_group(apps)
    user = UserFactory(username="mod", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def moderator_client(moderator) -> Client:
    client = Client()
    client.force_login(moderator)
    return client
