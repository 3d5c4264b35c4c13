"""Deleting an account (GDPR erasure): the password and a second factor confirm it; the account is anonymised
("Deleted user"), its messages emptied or kept as the retention policy says, its files deleted from storage,
its sessions, tokens, push subscriptions and bots ended; no row names the person afterwards; doing it twice
changes nothing. Admins can erase anyone from the Django admin."""

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, LoginSession, User
from messaging.models import Membership, Message, MessageRevision, Reaction, RetentionPolicy
from moderation.models import AuditEntry, Report
from notifications.models import NotificationPreferences, PushSubscription
from realtime.close_codes import UNAUTHENTICATED
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import client_for, login, refresh, totp_code
from tests.accounts.test_two_factor import enable
from tests.files.factories import StoredFileFactory, share
from tests.messaging.conftest import connect  # noqa: F401
from tests.messaging.factories import MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/users/me/delete/"
NAME = "adalovelace1815"


def a_full_life():
    """A person with something in every app: messages, an edit, reactions, a file, a push subscription,
    preferences, a report, a moderator's audit entry about them, a bot, an API token, two sessions."""
    ada = UserFactory(username=NAME, email=f"{NAME}@example.com", display_name="Ada Lovelace")
    bob, moderator = UserFactory(), UserFactory(is_staff=True, is_superuser=True)
    stored = StoredFileFactory(owner=ada, name=f"{NAME}-notes.txt")
    default_storage.save(stored.storage_key, ContentFile(b"notes"))
    message = share(stored, members=[bob])
    MessageRevision.objects.create(message=message, body=f"first draft by {NAME}", editor=ada)
    Reaction.objects.create(message=message, user=bob, emoji="👍")
    theirs = MessageFactory(conversation=message.conversation, sender=bob, body="hi")
    Reaction.objects.create(message=theirs, user=ada, emoji="🎉")
    Report.objects.create(message=theirs, reporter=ada, reason="spam", message_body="hi")
    Report.objects.create(message=message, reporter=bob, reason="rude", message_body=message.body)
    from moderation.services import audit_record

    audit_record(actor=moderator, action=AuditEntry.Action.OBJECT_CHANGED, target=ada, reason="renamed")
    PushSubscription.objects.create(
        user=ada,
        endpoint="https://fcm.googleapis.com/fcm/send/x",
        p256dh="k",
        auth="a",
        device_name=f"{NAME}'s phone",
    )
    NotificationPreferences.objects.create(user=ada)
    bot = services.bot_create(owner=ada, username=f"{NAME}-bot")
    services.api_token_create(user=ada, name="script", created_by=ada)
    session = login(ada)
    login(ada)
    return ada, {"bob": bob, "message": message, "stored": stored, "bot": bot, "session": session}


def rows_naming(*needles: str) -> list[str]:
    """Every (model, field) whose text anywhere in the database contains one of `needles`."""
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField | models.TextField | models.JSONField | models.EmailField):
                for needle in needles:
                    # A JSON value is searched as its text (PostgreSQL casts it for icontains).
                    if model._default_manager.filter(**{f"{field.name}__icontains": needle}).exists():
                        found.append(f"{model._meta.label}.{field.name}")
    return found


def test_erasure_leaves_no_row_that_names_the_person(settings):
    ada, world = a_full_life()
    assert rows_naming(NAME)  # the check finds them before

    response = client_for(world["session"]).post(URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 204
    assert rows_naming(NAME, "Ada Lovelace") == []
    ada.refresh_from_db()
    assert (ada.username, ada.display_name, ada.email, ada.is_active) == (
        f"deleted-{ada.pk}",
        "Deleted user",
        "",
        False,
    )
    assert not ada.has_usable_password()
    # their messages stay in the conversation as emptied messages of "Deleted user"; files gone from storage
    message = Message.objects.get(pk=world["message"].pk)
    assert (message.body, message.deleted_at is not None, message.attachments.count()) == ("", True, 0)
    assert not default_storage.exists(world["stored"].storage_key)
    assert not Reaction.objects.filter(message=message).exists()
    assert Report.objects.get(message=message).message_body == ""
    # sessions, tokens, subscriptions and bots end; they left their groups
    assert not LoginSession.objects.filter(user=ada).exists()
    assert not ApiToken.objects.filter(user__in=[ada, world["bot"]]).exists()
    assert not PushSubscription.objects.filter(user=ada).exists()
    assert User.objects.get(pk=world["bot"].pk).is_active is False
    assert not Membership.objects.filter(user=ada).exists()
    assert refresh(world["session"]) == 401


def test_the_retention_policy_can_keep_an_erased_persons_messages():
    policy = RetentionPolicy.get_solo()
    policy.erased_users_messages = RetentionPolicy.ErasedMessages.KEEP
    policy.save()
    ada, world = a_full_life()

    services.user_erase(user=ada)

    message = Message.objects.get(pk=world["message"].pk)
    assert (message.body, message.deleted_at) == (world["message"].body, None)
    assert message.sender.display_name == "Deleted user"


def test_erasing_twice_changes_nothing():
    ada, _ = a_full_life()
    assert services.user_erase(user=ada) is True
    before = User.objects.filter(pk=ada.pk).values().get()
    assert services.user_erase(user=ada) is False
    assert User.objects.filter(pk=ada.pk).values().get() == before


@pytest.mark.parametrize(
    ("service", "arguments"), [("user_suspend", {"reason": "spam"}), ("user_reinstate", {})]
)
def test_accounts_own_services_refuse_to_suspend_or_reinstate_an_erased_account(service, arguments):
    # given: bob, as read before he deleted his account
    bob = UserFactory()
    services.user_erase(user=User.objects.get(pk=bob.pk))
    # when / then: whoever calls the service (not only moderation's admin action) is refused, and told why
    with pytest.raises(ValidationError) as refused:
        getattr(services, service)(user=bob, **arguments)
    assert refused.value.messages == [
        "This account was erased: it stays inactive, nobody can suspend or reinstate it."
    ]
    erased = User.objects.get(pk=bob.pk)
    assert (erased.is_active, erased.suspended_at) == (False, None)


def test_deleting_needs_the_password_and_with_2fa_a_code():
    ada = UserFactory()
    session, secret, _ = enable(ada)

    wrong = client_for(session).post(URL, {"password": "nope"}, format="json")
    no_code = client_for(session).post(URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert wrong.json()["error"]["fields"] == {"password": ["This is not your password."]}
    assert (no_code.status_code, no_code.json()["error"]["code"]) == (401, "otp_required")
    assert User.objects.get(pk=ada.pk).erased_at is None
    done = client_for(session).post(
        URL, {"password": DEFAULT_PASSWORD, "code": totp_code(secret, steps_ahead=1)}, format="json"
    )
    assert done.status_code == 204
    assert User.objects.get(pk=ada.pk).erased_at is not None


# `ｄ` (fullwidth) becomes `d` when the name is normalised; `de1eted` looks like `deleted` (the same key)
@pytest.mark.parametrize("name", ["deleted-1", "Deleted-bot-7", "\uff44eleted-1", "de1eted-1"])
@pytest.mark.parametrize("chosen_by", ["registration", "bot"])
def test_nobody_can_choose_a_name_erasure_gives(chosen_by, name):
    if chosen_by == "registration":
        body = {"username": name, "email": "x@example.com", "password": DEFAULT_PASSWORD}
        response = APIClient().post("/api/v1/auth/register/", body, format="json")
    else:
        response = client_for(login(UserFactory())).post("/api/v1/bots/", {"username": name}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["username"] == [
        "Usernames starting with deleted- are reserved."
    ]
    assert not User.objects.filter(username_key__startswith="deleted").exists()


def test_the_admin_cannot_rename_someone_to_a_name_erasure_gives(client):
    admin_user, ada = UserFactory(is_staff=True, is_superuser=True), UserFactory()
    client.force_login(admin_user)
    form = {"username": f"deleted-{ada.pk}", "email": ada.email, "date_joined_0": "2026-01-01"}
    form |= {"date_joined_1": "00:00:00", "is_active": "on"}

    response = client.post(f"/admin/accounts/user/{ada.pk}/change/", form)

    assert response.status_code == 200  # the form again, with the error
    assert "Usernames starting with deleted- are reserved." in response.content.decode()
    assert User.objects.get(pk=ada.pk).username == ada.username


@pytest.mark.parametrize("squatted", ["deleted-{ada}", "de1eted-{ada}", "deleted-bot-{bot}"])
def test_a_name_taken_before_it_was_reserved_does_not_block_the_deletion(squatted):
    # given: an account named (before the prefix was reserved) like the one ada's erasure would give her or
    # her bot; made by the factory, which does not clean the name as the services do
    ada, world = a_full_life()
    squatter = UserFactory(username=squatted.format(ada=ada.pk, bot=world["bot"].pk))

    # when
    response = client_for(world["session"]).post(URL, {"password": DEFAULT_PASSWORD}, format="json")

    # then: erased, under a name of its own; the squatter keeps theirs
    assert response.status_code == 204
    ada.refresh_from_db()
    bot = User.objects.get(pk=world["bot"].pk)
    assert ada.erased_at is not None
    assert ada.username.startswith(f"deleted-{ada.pk}")
    assert bot.username.startswith(f"deleted-bot-{bot.pk}")
    assert squatter.username not in (ada.username, bot.username)
    assert User.objects.get(pk=squatter.pk).username == squatter.username


def test_an_erased_account_is_named_deleted_and_its_id_when_that_is_free():
    ada, world = a_full_life()
    services.user_erase(user=ada)
    assert User.objects.get(pk=ada.pk).username == f"deleted-{ada.pk}"
    assert User.objects.get(pk=world["bot"].pk).username == f"deleted-bot-{world['bot'].pk}"


async def test_erasure_closes_the_persons_sockets(connect):  # noqa: F811
    ada = await sync_to_async(UserFactory)()
    session = await sync_to_async(login)(ada)
    _, token = await sync_to_async(services.api_token_create)(user=ada, name="cli", created_by=ada)
    app_tab, script_tab = await connect(ada, token=session["access"]), await connect(ada, token=token)

    await sync_to_async(services.user_erase)(user=ada)

    assert await app_tab.close_code() == UNAUTHENTICATED
    assert await script_tab.close_code() == UNAUTHENTICATED


ADMIN_USERS = "/admin/accounts/user/"


def erase_in_admin(client, users, **confirmed):
    form = {"action": "erase", "_selected_action": [u.pk for u in users], "reason": "GDPR request"}
    if not confirmed:
        form["index"] = 0  # from the list's action menu; the confirmation page posts without it
    return client.post(ADMIN_USERS, {**form, **confirmed}, follow=True)


def test_an_admin_erases_anyone_from_the_admin_once_confirmed(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    ada, _ = a_full_life()
    grace = UserFactory(username="grace", display_name="Grace Hopper")
    client.force_login(admin_user)

    # when: the action is chosen, a page lists who will be erased, and nothing is erased yet
    asked = erase_in_admin(client, [ada, grace])
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "cannot be undone" in page
    assert "Ada Lovelace" in page
    assert "Grace Hopper" in page
    assert 'name="post" value="yes"' in page
    assert not User.objects.filter(erased_at__isnull=False).exists()

    # then: confirmed there, both are erased, and the admin says how many
    done = erase_in_admin(client, [ada, grace], post="yes")
    assert "Erased: 2." in done.content.decode()
    assert User.objects.get(pk=ada.pk).erased_at is not None
    assert User.objects.get(pk=grace.pk).erased_at is not None
    assert rows_naming(NAME) == []
    # and again: nothing more to do, said so
    assert "Erased already: 2." in erase_in_admin(client, [ada, grace], post="yes").content.decode()


def test_an_admin_cannot_erase_themselves_and_is_told_why(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    grace = UserFactory()
    client.force_login(admin_user)

    for confirmed in ({}, {"post": "yes"}):
        response = erase_in_admin(client, [admin_user, grace], **confirmed)
        assert "You cannot erase your own account here" in response.content.decode()
        assert "Erased: 0." not in response.content.decode()

    assert not User.objects.filter(erased_at__isnull=False).exists()


def test_a_deleted_owner_s_bots_and_webhooks_leave_with_them_and_a_person_takes_over():
    # given: ivy owns a group where her bot joined before frank, and where she made a webhook
    from messaging.services.webhooks import webhook_create
    from tests.messaging.factories import make_conversation

    ivy, frank = UserFactory(), UserFactory()
    bot = services.bot_create(owner=ivy, username="ivys-bot")
    group = make_conversation(ivy, bot, title="Ivy's")
    Membership.objects.create(conversation=group, user=frank)
    webhook, _ = webhook_create(user=ivy, conversation_id=group.pk, name="CI")
    # when: she deletes her account
    services.user_erase(user=ivy)
    # then: frank, not her bot, owns the group; neither of her bots is in it; the webhook is revoked
    assert list(Membership.objects.filter(conversation=group).values_list("user", "role")) == [
        (frank.pk, "owner")
    ]
    webhook.refresh_from_db()
    assert webhook.is_revoked
