"""What the users' admin offers and says after an action: only actions that can work, and messages that say
what was the case."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import run_action
from tests.moderation.conftest import feedback

pytestmark = pytest.mark.django_db(transaction=True)

USERS = "/admin/accounts/user/"


def test_removing_two_factor_of_someone_who_never_had_it_says_so(moderator_client, ada, bob):
    # given: ada has two-factor authentication, bob never had it
    TOTPDevice.objects.create(user=ada, name="phone", confirmed=True)
    # when
    response = run_action(moderator_client, USERS, "reset_two_factor", [ada, bob], reason="lost phone")
    # then (it said "Two-factor authentication removed already: 1.", of bob)
    assert feedback(response) == [
        "Two-factor authentication removed: 1; had no two-factor authentication: 1."
    ]


def test_superusers_are_not_offered_a_delete_that_always_fails(superuser_client, bob):
    # "Delete selected users" was offered, and failed on every user with a message or a report
    actions = superuser_client.get(USERS).context["action_form"].fields["action"].choices
    names = [name for name, _ in actions]
    assert "delete_selected" not in names
    assert "erase" in names


def test_reinstating_someone_who_was_not_suspended_says_so(moderator_client, ada, bob):
    # given: ada is suspended, bob never was
    run_action(moderator_client, USERS, "suspend", [ada], reason="spam")
    # when
    response = run_action(moderator_client, USERS, "reinstate", [ada, bob], reason="appeal")
    # then (it said "Reinstated: 1; reinstated already: 1.", as if bob had been reinstated before)
    assert feedback(response) == ["Reinstated: 1; not suspended: 1."]


def test_a_message_of_only_what_was_so_already_starts_with_a_capital(moderator_client, ada, bob):
    # given: bob was never suspended, ada was suspended a moment ago
    run_action(moderator_client, USERS, "suspend", [ada], reason="spam")
    # when: a moderator reinstates only bob, and suspends ada again
    reinstated = run_action(moderator_client, USERS, "reinstate", [bob], reason="appeal")
    suspended = run_action(moderator_client, USERS, "suspend", [ada], reason="spam")
    # then: each line starts with a capital (they read "not suspended: 1.", "suspended already: 1.")
    assert feedback(reinstated) == ["Not suspended: 1."]
    assert feedback(suspended) == ["Suspended already: 1."]
