"""An erased account ("Deleted user") stays inactive: moderators can neither suspend nor reinstate it, and the
admin says why."""

import pytest

from accounts import services as account_services
from accounts.models import User
from moderation.models import AuditEntry
from tests.conftest import run_action
from tests.moderation.conftest import feedback

pytestmark = pytest.mark.django_db(transaction=True)

USERS = "/admin/accounts/user/"


def test_an_erased_account_cannot_be_suspended_or_reinstated(moderator_client, bob):
    # given: bob erased his account
    account_services.user_erase(user=bob)
    erased = User.objects.get(pk=bob.pk)
    # when: a moderator suspends, then reinstates it (which made it active again)
    suspended = run_action(moderator_client, USERS, "suspend", [erased], reason="old reports")
    reinstated = run_action(moderator_client, USERS, "reinstate", [erased], reason="oops")
    # then: it stays an inactive "Deleted user", nothing is on the record, and the admin says why
    erased = User.objects.get(pk=bob.pk)
    assert (erased.is_active, erased.suspended_at) == (False, None)
    assert not AuditEntry.objects.exists()
    refusal = (
        f"{erased.username}: This account was erased: it stays inactive, nobody can suspend or reinstate it."
    )
    assert feedback(suspended) == [refusal]
    assert feedback(reinstated) == [refusal]


def test_an_account_suspended_then_erased_stays_inactive(moderator_client, bob):
    run_action(moderator_client, USERS, "suspend", [bob], reason="spam")
    account_services.user_erase(user=User.objects.get(pk=bob.pk))
    run_action(moderator_client, USERS, "reinstate", [User.objects.get(pk=bob.pk)], reason="appeal")
    assert not User.objects.get(pk=bob.pk).is_active
