"""Moderator actions in the admin (Django test client): removing messages, suspending and reinstating users,
working through reports, and the read-only audit log — plus what moderators may *not* do."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import ApiToken, User
from messaging import services as messaging_services
from messaging.models import MessageRevision
from moderation.models import AuditEntry, Report
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.conftest import run_action
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = "/admin/messaging/message/"
USERS = "/admin/accounts/user/"
REPORTS = "/admin/moderation/report/"
AUDIT = "/admin/moderation/auditentry/"


@pytest.fixture
def spam(ada, bob):
    conversation = make_conversation(ada, bob, title="Team")
    return store_message(conversation, bob, body="buy cheap pills")


def login(user, password=DEFAULT_PASSWORD):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": password}, format="json"
    )


def test_the_migration_made_the_group_with_exactly_the_moderation_permissions(moderator):
    group = Group.objects.get(name="Moderators")
    perms = {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }
    assert perms == {
        "accounts.view_user",
        "accounts.change_user",
        "accounts.suspend_user",
        "messaging.view_conversation",
        "messaging.view_membership",
        "messaging.view_message",
        "messaging.change_message",
        "messaging.remove_message",
        "messaging.view_messagerevision",
        "moderation.view_report",
        "moderation.change_report",
        "moderation.view_auditentry",
    }
    assert not any(p.startswith(("delete_", "add_")) for p in (p.codename for p in group.permissions.all()))
    assert moderator.is_staff
    assert not moderator.is_superuser


def test_moderators_search_messages_by_text_sender_and_conversation(moderator_client, spam):
    for query in ("cheap", "bob", "Team"):
        response = moderator_client.get(MESSAGES, {"q": query})
        assert response.status_code == 200
        assert str(spam.pk) in response.content.decode()
    assert str(spam.pk) not in moderator_client.get(MESSAGES, {"q": "nothing-like-it"}).content.decode()
    assert moderator_client.get(MESSAGES, {"deleted_at__isempty": "1"}).status_code == 200


def test_remove_soft_deletes_and_is_audited(moderator_client, moderator, spam):
    # when
    response = run_action(moderator_client, MESSAGES, "remove", [spam], reason="spam link")
    # then
    assert response.status_code == 200
    spam.refresh_from_db()
    assert spam.is_deleted
    assert spam.body == ""
    revision = MessageRevision.objects.get(message=spam)
    assert (revision.body, revision.editor) == ("buy cheap pills", moderator)
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_type, entry.target_id, entry.reason) == (
        moderator,
        "message_removed",
        "message",
        str(spam.pk),
        "spam link",
    )


def test_remove_needs_a_reason(moderator_client, spam):
    run_action(moderator_client, MESSAGES, "remove", [spam], reason="")
    spam.refresh_from_db()
    assert not spam.is_deleted
    assert not AuditEntry.objects.exists()


def test_staff_without_the_permission_cannot_remove(spam):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_message", "change_message"]))
    client = Client()
    client.force_login(staff)
    assert client.get(MESSAGES).status_code == 200
    run_action(client, MESSAGES, "remove", [spam])
    spam.refresh_from_db()
    assert not spam.is_deleted


def test_each_edit_keeps_a_revision_that_moderators_see(moderator_client, ada, bob):
    conversation = make_conversation(ada, bob)
    message = store_message(conversation, ada, body="first words")
    messaging_services.message_edit(user=ada, message_id=message.pk, body="second words")
    messaging_services.message_edit(user=ada, message_id=message.pk, body="final words")
    assert list(MessageRevision.objects.filter(message=message).values_list("body", flat=True)) == [
        "first words",
        "second words",
    ]
    page = moderator_client.get(f"{MESSAGES}{message.pk}/change/").content.decode()
    assert "first words" in page
    assert "second words" in page


def test_suspend_revokes_every_token_and_refuses_logins_with_a_clear_error(moderator_client, moderator, bob):
    # given: bob has a refresh token, an access token and an API token
    pair = login(bob).json()
    _, api_token = account_services.api_token_create(user=bob, name="cli", created_by=bob)
    # when
    run_action(moderator_client, USERS, "suspend", [bob], reason="harassment")
    # then
    bob.refresh_from_db()
    assert not bob.is_active
    assert bob.suspended_at is not None
    assert bob.suspension_reason == "harassment"
    assert ApiToken.objects.get(user=bob).revoked_at is not None
    refused_login = login(bob)
    assert refused_login.status_code == 403
    assert refused_login.json()["error"]["code"] == "account_suspended"
    assert (
        login(bob, password="wrong").status_code == 401
    )  # the suspension is told only to the account holder
    refresh = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert refresh.json()["error"]["code"] == "account_suspended"
    as_jwt = APIClient()
    as_jwt.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert as_jwt.get("/api/v1/users/me/").json()["error"]["code"] == "account_suspended"
    as_token = APIClient()
    as_token.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    assert as_token.get("/api/v1/users/me/").status_code == 401
    assert AuditEntry.objects.get(action="user_suspended").reason == "harassment"


def test_reinstate_lets_the_user_log_in_again_but_old_tokens_stay_revoked(moderator_client, bob):
    pair = login(bob).json()
    run_action(moderator_client, USERS, "suspend", [bob], reason="mistake")
    run_action(moderator_client, USERS, "reinstate", [bob], reason="appeal accepted")
    bob.refresh_from_db()
    assert bob.is_active
    assert bob.suspended_at is None
    assert login(bob).status_code == 200
    refresh = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert refresh.status_code == 401
    assert list(AuditEntry.objects.order_by("created_at").values_list("action", flat=True)) == [
        "user_suspended",
        "user_reinstated",
    ]


def test_moderators_cannot_suspend_staff_or_escalate_their_own_rights(moderator_client, moderator):
    other_moderator = UserFactory(is_staff=True)
    run_action(moderator_client, USERS, "suspend", [other_moderator], reason="coup")
    other_moderator.refresh_from_db()
    assert other_moderator.is_active
    own_page = moderator_client.get(f"{USERS}{moderator.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in own_page
    assert 'name="groups"' not in own_page
    assert moderator_client.get(f"{USERS}{moderator.pk}/password/").status_code == 403


def test_moderators_cannot_reinstate_staff_or_take_away_their_second_factor(moderator_client, moderator, bob):
    # given another moderator suspended by a superuser, and one with two-factor authentication on
    suspended = UserFactory(is_staff=True)
    account_services.user_suspend(user=suspended, reason="compromised")
    with_device = UserFactory(is_staff=True)
    TOTPDevice.objects.create(user=with_device, name="phone", confirmed=True)
    # when a moderator tries to undo either (both went through before)
    run_action(moderator_client, USERS, "reinstate", [suspended], reason="friend")
    run_action(moderator_client, USERS, "reset_two_factor", [with_device], reason="lost phone?")
    # then neither happened, and nothing was recorded as done
    assert User.objects.get(pk=suspended.pk).is_suspended
    assert TOTPDevice.objects.filter(user=with_device).exists()
    assert not AuditEntry.objects.exists()
    # and for a member who lost their device it is done, and recorded (it was not)
    TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    run_action(moderator_client, USERS, "reset_two_factor", [bob], reason="lost phone, checked by video call")
    assert not TOTPDevice.objects.filter(user=bob).exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_id, entry.actor) == ("two_factor_reset", str(bob.pk), moderator)


def test_acting_on_a_report_already_done_closes_it_on_the_record(moderator_client, moderator, ada, bob):
    # given reports of a message its author deleted since, and of a sender suspended since
    conversation = make_conversation(ada, bob)
    deleted, rude = store_message(conversation, bob, 1, "oops"), store_message(conversation, bob, 2, "rude")
    gone = Report.objects.create(message=deleted, reporter=ada, reason="spam", message_body=deleted.body)
    threat = Report.objects.create(message=rude, reporter=ada, reason="threat", message_body=rude.body)
    messaging_services.message_delete(user=bob, message_id=deleted.pk)
    account_services.user_suspend(user=bob, reason="earlier report")
    # when the moderator acts on each
    run_action(moderator_client, REPORTS, "remove_message", [gone], reason="spam")
    run_action(moderator_client, REPORTS, "suspend_sender", [threat], reason="threats")
    # then both are closed, and the log says who closed them, why, and that it was done already (no entry)
    assert set(Report.objects.values_list("status", flat=True)) == {"resolved"}
    assert set(AuditEntry.objects.values_list("action", "report", "reason")) == {
        ("report_closed", gone.pk, "spam (the message was already deleted)"),
        ("report_closed", threat.pk, "threats (the sender was already suspended)"),
    }


def test_a_reports_page_only_shows_it_and_a_save_that_changes_nothing_is_not_logged(
    moderator_client, ada, bob
):
    message = store_message(make_conversation(ada, bob), bob)
    report = Report.objects.create(message=message, reporter=ada, reason="spam", message_body=message.body)
    page = moderator_client.get(f"{REPORTS}{report.pk}/change/").content.decode()
    assert "spam" in page
    assert 'name="_save"' not in page  # Save, on a page where nothing can change, logged "No fields changed."
    assert moderator_client.post(f"{REPORTS}{report.pk}/change/", {}).status_code == 403
    # and on a user's page, a Save that changes nothing leaves the audit log as it was
    moderator_client.post(f"{USERS}{bob.pk}/change/", {"display_name": bob.display_name})
    assert not AuditEntry.objects.exists()


def test_moderators_may_fix_a_display_name_and_it_is_audited(moderator_client, bob):
    page = moderator_client.get(f"{USERS}{bob.pk}/change/").content.decode()
    assert 'name="display_name"' in page
    assert 'name="is_active"' not in page
    response = moderator_client.post(f"{USERS}{bob.pk}/change/", {"display_name": "Bob (spam account?)"})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.display_name == "Bob (spam account?)"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.reason) == ("object_changed", "Changed Display name.")


def test_report_queue_actions_resolve_reports_and_are_audited(moderator_client, moderator, ada, bob, eve):
    # given: two reports of one message, one of another
    conversation = make_conversation(ada, bob, eve)
    rude, borderline = store_message(conversation, bob, 1, "rude"), store_message(conversation, bob, 2, "meh")
    first = Report.objects.create(message=rude, reporter=ada, reason="rude", message_body=rude.body)
    Report.objects.create(message=rude, reporter=eve, reason="rude too", message_body=rude.body)
    other = Report.objects.create(message=borderline, reporter=ada, reason="?", message_body=borderline.body)
    assert moderator_client.get(REPORTS, {"status__exact": "open"}).status_code == 200
    # when
    run_action(moderator_client, REPORTS, "remove_message", [first], reason="rude")
    run_action(moderator_client, REPORTS, "dismiss", [other], reason="fine")
    # then
    assert set(Report.objects.filter(message=rude).values_list("status", "resolution")) == {
        ("resolved", "removed")
    }
    other.refresh_from_db()
    assert (other.status, other.resolution, other.resolved_by) == ("resolved", "dismissed", moderator)
    rude.refresh_from_db()
    assert rude.is_deleted
    assert set(AuditEntry.objects.values_list("action", "report")) == {
        ("message_removed", first.pk),
        ("report_dismissed", other.pk),
    }


def feedback(response) -> list[str]:
    """The messages the admin showed after an action."""
    return [str(message) for message in response.context["messages"]]


def test_acting_on_two_reports_of_one_message_removes_it_once_and_says_so(moderator_client, ada, bob, eve):
    # given: ada and eve reported the same message
    rude = store_message(make_conversation(ada, bob, eve), bob, 1, "rude")
    reports = [
        Report.objects.create(message=rude, reporter=reporter, reason="rude", message_body=rude.body)
        for reporter in (ada, eve)
    ]
    # when: the moderator removes "the reported messages" with both reports selected
    response = run_action(moderator_client, REPORTS, "remove_message", reports, reason="rude")
    # then: the message was removed once, on the record once, and the admin says what happened
    assert MessageRevision.objects.filter(message=rude).count() == 1
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["message_removed"]
    assert feedback(response) == ["Messages removed: 1."]  # one message (test_admin_reports_counted.py)


def test_suspending_people_some_already_suspended_counts_each_as_it_was(moderator_client, bob, eve):
    account_services.user_suspend(user=eve, reason="earlier")
    response = run_action(moderator_client, USERS, "suspend", [bob, eve], reason="spam wave")
    assert feedback(response) == ["Suspended: 1; suspended already: 1."]
    assert list(AuditEntry.objects.values_list("action", "target_id")) == [("user_suspended", str(bob.pk))]


def test_suspend_sender_from_a_report(moderator_client, ada, bob):
    message = store_message(make_conversation(ada, bob), bob)
    report = Report.objects.create(message=message, reporter=ada, reason="threats", message_body=message.body)
    run_action(moderator_client, REPORTS, "suspend_sender", [report], reason="threats")
    report.refresh_from_db()
    assert User.objects.get(pk=bob.pk).is_suspended
    assert (report.status, report.resolution) == ("resolved", "suspended")


def test_the_audit_log_is_read_only(moderator_client, moderator, spam):
    run_action(moderator_client, MESSAGES, "remove", [spam], reason="spam")
    entry = AuditEntry.objects.get()
    assert moderator_client.get(AUDIT).status_code == 200
    assert "spam" in moderator_client.get(f"{AUDIT}{entry.pk}/change/").content.decode()
    assert moderator_client.get(f"{AUDIT}add/").status_code == 403
    assert moderator_client.post(f"{AUDIT}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert moderator_client.post(f"{AUDIT}{entry.pk}/change/", {"reason": "nothing"}).status_code == 403
    entry.refresh_from_db()
    assert entry.reason == "spam"
