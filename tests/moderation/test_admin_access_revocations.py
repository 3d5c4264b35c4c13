"""Revoking someone's access in the admin (an API token, a login session, an invitation, a webhook) is on the
record, as suspending them is: the audit log says who did it, to what, when and why (the reason typed beside
the action menu). It was recorded nowhere: a moderator could sign anyone out or retire their webhook's bot and
leave no trace."""

import pytest
from django.db import models
from django.test import Client
from django.utils.html import escape

from accounts import services as account_services
from accounts.models import LoginSession
from messaging.delivery.eventlog import initialise_counter
from messaging.services import webhooks
from moderation.models import AuditEntry
from tests.accounts.helpers import login
from tests.conftest import run_action, staff_with
from tests.messaging.factories import make_conversation
from tests.moderation.conftest import feedback

pytestmark = pytest.mark.django_db(transaction=True)


def _token(ada, bob) -> models.Model:
    return account_services.api_token_create(user=ada, name="script", created_by=ada)[0]


def _session(ada, bob) -> models.Model:
    login(ada)
    return LoginSession.objects.get(user=ada)


def _invitation(ada, bob) -> models.Model:
    return account_services.invitation_create(creator=ada, max_uses=3, days=7)[0]


def _webhook(ada, bob) -> models.Model:
    team = make_conversation(ada, bob, title="Team")
    initialise_counter(team.pk)
    return webhooks.webhook_create(user=ada, conversation_id=team.pk, name="CI")[0]


@pytest.mark.parametrize(
    ("app", "model", "action", "make", "done"),
    [
        ("accounts", "apitoken", "revoke", _token, "Revoked"),
        ("accounts", "loginsession", "end", _session, "Signed out"),
        ("accounts", "invitation", "revoke", _invitation, "Revoked"),
        ("messaging", "webhook", "revoke", _webhook, "Revoked"),
    ],
)
def test_revoking_access_is_in_the_audit_log_with_who_and_why(ada, bob, app, model, action, make, done):
    # given: ada's token, session, invitation or webhook, and staff who may view and change those
    row = make(ada, bob)
    staff: Client = staff_with(app, model, "view", "change")
    changelist = f"/admin/{app}/{model}/"

    # when: they revoke it (sign it out), saying why, then do so again
    first = run_action(staff, changelist, action, [row], reason="leaked in a public repo")
    second = run_action(staff, changelist, action, [row], reason="again")

    # then: it is revoked once, they are told so, and the audit log has one entry: theirs, with the reason
    row.refresh_from_db()
    assert getattr(row, "ended_at" if model == "loginsession" else "revoked_at") is not None
    assert feedback(first) == [f"{done}: 1."]
    assert feedback(second) == [f"{done} already: 1."]  # it said "revoked already: 1.", lowercase
    entry = AuditEntry.objects.get(target_type=model, target_id=str(row.pk))
    assert entry.action == AuditEntry.Action.ACCESS_REVOKED
    assert entry.actor_username == first.wsgi_request.user.get_username()
    assert entry.reason == "leaked in a public repo"


@pytest.mark.parametrize(
    ("app", "model", "action", "make", "title", "consequence"),
    [
        ("accounts", "apitoken", "revoke", _token, "Revoke these tokens?", "its sockets close (4401)"),
        ("accounts", "loginsession", "end", _session, "Sign these sessions out?", "signed out at once"),
        ("accounts", "invitation", "revoke", _invitation, "Revoke these invitations?", "link stops working"),
        (
            "messaging",
            "webhook",
            "revoke",
            _webhook,
            "Revoke these webhooks?",
            "leaves the conversation for good",
        ),
    ],
)
def test_revoking_asks_first_and_revokes_nothing_until_yes(
    ada, bob, app, model, action, make, title, consequence
):
    # given: ada's token, session, invitation or webhook, and staff who may view and change those
    row = make(ada, bob)
    staff: Client = staff_with(app, model, "view", "change")

    # when: they pick the revocation, type why, and press Go (no Yes yet)
    form = {"action": action, "_selected_action": [str(row.pk)], "reason": "leaked", "index": 0}
    page = staff.post(f"/admin/{app}/{model}/", form, follow=True)

    # then: a page says what it will do to which row and offers Yes, keeping the reason; nothing is revoked
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["title"] == title
    assert consequence in html
    assert f"<li>{escape(str(row))}" in html
    assert 'name="post" value="yes"' in html
    assert 'name="reason" value="leaked"' in html
    row.refresh_from_db()
    assert getattr(row, "ended_at" if model == "loginsession" else "revoked_at") is None
    assert not AuditEntry.objects.exists()
