"""A password set in the admin signs the person out as the app's own reset and change do: a superuser's "Reset
password" on someone's page ends every session of theirs and revokes every API token of theirs (an attacker in
a compromised account is thrown out, a token they made included), and a staff member's own "Change password"
ends every session of theirs in the app."""

import re

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, LoginSession
from messaging.delivery.eventlog import initialise_counter
from messaging.services.webhooks import webhook_create, webhook_revoke
from realtime.close_codes import UNAUTHENTICATED
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import ME_URL, client_for, login, refresh
from tests.messaging.conftest import ada, connect  # noqa: F401
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a much longer new passphrase"


def superuser_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def reset_in_admin(client: Client, user, **form) -> object:
    data = form or {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    return client.post(f"/admin/accounts/user/{user.pk}/password/", data, follow=True)


async def test_an_admin_reset_signs_the_person_out_everywhere(connect, ada):  # noqa: F811
    # given: an attacker signed in to ada's account, with a tab open
    attacker = await sync_to_async(login)(ada)
    attacker_tab = await connect(ada, token=attacker["access"])

    # when: a superuser resets her password in the admin
    response = await sync_to_async(reset_in_admin)(await sync_to_async(superuser_client)(), ada)

    # then: the attacker's tab closes, their access token is refused and their refresh token too
    assert response.status_code == 200
    assert await attacker_tab.close_code() == UNAUTHENTICATED
    assert (await sync_to_async(client_for(attacker).get)(ME_URL)).status_code == 401
    assert await sync_to_async(refresh)(attacker) == 401
    # and the admin is told so; ada signs in with the new password
    page = response.content.decode()
    assert "Signed out everywhere: ada (sessions ended: 1; API tokens revoked: 0)" in page
    await sync_to_async(login)(ada, password=NEW_PASSWORD)


def api_client_with(raw_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    return client


async def test_an_admin_reset_revokes_the_persons_api_tokens(connect, ada):  # noqa: F811
    # given: an API token the attacker made from ada's session, in use, with a socket open on it
    _, raw = await sync_to_async(services.api_token_create)(user=ada, name="innocent", created_by=ada)
    assert (await sync_to_async(api_client_with(raw).get)(ME_URL)).status_code == 200
    token_tab = await connect(ada, token=raw)

    # when: a superuser resets her password in the admin
    response = await sync_to_async(reset_in_admin)(await sync_to_async(superuser_client)(), ada)

    # then: the token is refused (it worked just before), its socket closed, and the admin says so
    assert response.status_code == 200
    assert (await sync_to_async(api_client_with(raw).get)(ME_URL)).status_code == 401
    assert await token_tab.close_code() == UNAUTHENTICATED
    assert await ApiToken.objects.filter(revoked_at__isnull=True).acount() == 0
    page = response.content.decode()
    assert "Signed out everywhere: ada (sessions ended: 0; API tokens revoked: 1)" in page


def test_an_admin_reset_leaves_the_persons_bots_tokens_and_says_where_they_are(ada):  # noqa: F811
    # given: ada's own token and her CI bot's (bob has a bot too)
    _, own = services.api_token_create(user=ada, name="mine", created_by=ada)
    bot = services.bot_create(owner=ada, username="ci-bot")
    bot_token, bot_raw = services.api_token_create(user=bot, name="ci", created_by=ada)
    bob = UserFactory(username="bob")
    services.api_token_create(user=bob, name="other", created_by=bob)
    other_bot = services.bot_create(owner=bob, username="bob-bot")
    services.api_token_create(user=other_bot, name="other", created_by=bob)
    admin = superuser_client()

    # when: her password is reset in the admin
    page = reset_in_admin(admin, ada).content.decode()

    # then: her token is refused, her bot's works on (it acts as the bot), and bob's are untouched
    assert api_client_with(own).get(ME_URL).status_code == 401
    assert api_client_with(bot_raw).get(ME_URL).status_code == 200
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 3
    # and the admin is told of the bot's token, with a link listing exactly it
    assert "Their bots' tokens still work (1): each acts only as its bot." in page
    [link] = re.findall(r'href="(/admin/accounts/apitoken/\?[^"]+)">review them', page)
    listing = admin.get(link.replace("&amp;", "&"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [bot_token]


def test_an_admin_reset_leaves_the_webhooks_the_person_made_and_says_where_they_are(ada):  # noqa: F811
    # given: a webhook ada made in her group, one bob made in his, and one of hers revoked already
    bob = UserFactory(username="bob")
    group, bobs = make_conversation(ada, bob, title="Ops"), make_conversation(bob, ada, title="Bob's")
    initialise_counter(group.pk)
    hers, secret = webhook_create(user=ada, conversation_id=group.pk, name="CI")
    webhook_create(user=bob, conversation_id=bobs.pk, name="Alerts")
    webhook_revoke(webhook=webhook_create(user=ada, conversation_id=group.pk, name="Old")[0])
    admin = superuser_client()

    # when: her password is reset in the admin
    page = reset_in_admin(admin, ada).content.decode()

    # then: her webhook still posts (an integration others rely on)
    posted = APIClient().post(f"/api/v1/hooks/{secret}/", {"text": "build passed"}, format="json")
    assert posted.status_code == 202
    # and the admin is told of it, with a link listing exactly it
    assert "The incoming webhooks they made still post (1)" in page
    [link] = re.findall(r'href="(/admin/messaging/webhook/\?[^"]+)">review them', page)
    listing = admin.get(link.replace("&amp;", "&"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [hers]


def test_an_admin_reset_of_someone_without_bots_says_nothing_of_bots(ada):  # noqa: F811
    page = reset_in_admin(superuser_client(), ada).content.decode()
    assert "API tokens revoked: 0" in page
    told = page.split("Signed out everywhere")[1].split("</ul>")[0]
    assert "bots" not in told
    assert "webhooks" not in told


def test_turning_password_sign_in_off_in_the_admin_signs_the_person_out_too(ada):  # noqa: F811
    session = login(ada)
    _, raw = services.api_token_create(user=ada, name="script", created_by=ada)
    response = reset_in_admin(superuser_client(), ada, usable_password="false", **{"unset-password": "1"})
    assert response.status_code == 200
    assert client_for(session).get(ME_URL).status_code == 401
    assert refresh(session) == 401
    assert api_client_with(raw).get(ME_URL).status_code == 401
    ada.refresh_from_db()
    assert not ada.has_usable_password()


def test_a_staff_members_own_change_in_the_admin_ends_their_sessions_in_the_app(smtp_server):
    # given: a moderator signed in to the app and to the admin
    moderator = UserFactory(is_staff=True)
    app = login(moderator)
    admin = Client()
    admin.force_login(moderator)

    # when: they change their password from the admin's "Change password" link
    response = admin.post(
        "/admin/password_change/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    # then: the app's session is over, the admin one goes on, and the notice is emailed as from the app
    assert response.status_code == 200
    assert "Your sessions in the app were signed out" in response.content.decode()
    assert client_for(app).get(ME_URL).status_code == 401
    assert refresh(app) == 401
    assert LoginSession.objects.get().ended_at is not None
    assert admin.get("/admin/").status_code == 200
    [notice] = smtp_server.wait_for(moderator.email)
    assert notice.subject == "Your Parley password was changed"
    login(moderator, password=NEW_PASSWORD)


def test_a_wrong_current_password_in_the_admin_changes_nothing():
    moderator = UserFactory(is_staff=True)
    app = login(moderator)
    admin = Client()
    admin.force_login(moderator)
    response = admin.post(
        "/admin/password_change/",
        {"old_password": "not it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200  # the form again, with its error
    assert client_for(app).get(ME_URL).status_code == 200
