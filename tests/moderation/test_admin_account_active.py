"""Whether an account is active is changed in one way only, Suspend or Reinstate (sockets closed, tokens
revoked, on the record): a user's page shows it and says so, and a Save cannot deactivate anyone."""

import pytest

from accounts.models import User
from moderation.models import AuditEntry
from tests.conftest import run_action
from tests.moderation.conftest import change_form_data

pytestmark = pytest.mark.django_db(transaction=True)

USERS = "/admin/accounts/user/"


def test_a_superuser_cannot_untick_active_on_a_users_page(superuser_client, bob):
    # given: a superuser on bob's page
    page = superuser_client.get(f"{USERS}{bob.pk}/change/")
    content = page.content.decode()
    # then: Active is shown, not offered as a box, and the page says where to suspend
    assert 'name="is_active"' not in content
    assert "Suspend" in content
    # when: the superuser saves it with Active unticked (bob's open tab stayed connected and kept sending)
    response = superuser_client.post(f"{USERS}{bob.pk}/change/", change_form_data(page, is_active=None))
    # then: bob is as he was: active, not half-suspended with his sockets open
    assert response.status_code == 302
    assert User.objects.get(pk=bob.pk).is_active
    assert not AuditEntry.objects.exists()


def test_a_suspended_users_page_says_how_to_reinstate(superuser_client, moderator_client, bob):
    run_action(moderator_client, USERS, "suspend", [bob], reason="spam wave")
    content = superuser_client.get(f"{USERS}{bob.pk}/change/").content.decode()
    assert "No: suspended" in content
    assert "Reinstate" in content
