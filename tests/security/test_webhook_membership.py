"""Nobody keeps a conversation after leaving it through something they own (issue #21, 1): webhooks follow the
conversation's roles, a webhook's bot has no tokens (it only posts through its URL), and a member who goes —
removed or leaving — takes what they brought with them: their webhooks there are revoked (their bots retired,
their sockets closed) and their own bots leave the conversation."""

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations import RunPython
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import ApiToken, User
from messaging.delivery.eventlog import initialise_counter
from messaging.models import Membership, Webhook
from realtime.close_codes import UNAUTHENTICATED
from tests.accounts.factories import UserFactory
from tests.messaging.factories import make_conversation
from tests.security.test_attacks import bearer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner(transactional_db):
    return UserFactory(username="olga")


@pytest.fixture
def admin(transactional_db):
    return UserFactory(username="adam")


@pytest.fixture
def member(transactional_db):
    return UserFactory(username="mel")


@pytest.fixture
def group(owner, admin, member):
    conversation = make_conversation(owner, admin, member, title="Private group")
    conversation.memberships.filter(user=admin).update(role=Membership.Role.ADMIN)
    initialise_counter(conversation.pk)
    return conversation


def make_webhook(user, conversation, name: str = "CI"):
    return bearer(user).post(
        f"/api/v1/conversations/{conversation.pk}/webhooks/", {"name": name}, format="json"
    )


def test_only_owners_and_admins_make_webhooks(owner, admin, member, group):
    refused = make_webhook(member, group)
    assert refused.status_code == 403, refused.content
    assert not Webhook.objects.exists()
    assert not User.objects.filter(is_bot=True).exists()
    assert make_webhook(owner, group).status_code == 201
    assert make_webhook(admin, group).status_code == 201


def test_a_webhooks_bot_has_no_tokens_and_is_not_a_general_bot(admin, group):
    hook = make_webhook(admin, group).json()
    bot_id = hook["bot"]["id"]
    client = bearer(admin)

    assert client.post(f"/api/v1/bots/{bot_id}/tokens/", {"name": "steal"}, format="json").status_code == 404
    assert client.get(f"/api/v1/bots/{bot_id}/").status_code == 404
    assert bot_id not in [bot["id"] for bot in client.get("/api/v1/bots/").json()]
    with pytest.raises(PermissionDenied):
        account_services.api_token_create(user=User.objects.get(pk=bot_id), name="x", created_by=admin)
    assert not ApiToken.objects.filter(user_id=bot_id).exists()


def test_a_token_minted_for_a_webhooks_bot_before_the_fix_is_revoked_and_refused(admin, group):
    # given: a webhook's bot from before the fix, unmarked, holding a token its creator minted
    hook = make_webhook(admin, group).json()
    bot = User.objects.get(pk=hook["bot"]["id"])
    User.objects.filter(pk=bot.pk).update(is_webhook_bot=False)
    bot.refresh_from_db()
    _, raw = account_services.api_token_create(user=bot, name="minted", created_by=admin)
    assert bearer(token=raw).get(f"/api/v1/conversations/{group.pk}/messages/").status_code == 200

    # when: the migration runs
    _run_migration("messaging", "0005_webhook_bots_have_no_tokens")

    # then: the bot is marked and the token is dead
    bot.refresh_from_db()
    assert bot.is_webhook_bot
    assert not ApiToken.objects.filter(user=bot, revoked_at__isnull=True).exists()
    assert bearer(token=raw).get(f"/api/v1/conversations/{group.pk}/messages/").status_code == 401


def test_the_bots_of_webhooks_revoked_before_they_left_with_them_leave_now(owner, admin, member, group):
    # given: a webhook revoked while revoking left its bot in the conversation, and one still live
    revoked = make_webhook(admin, group, "Old CI").json()
    live = make_webhook(admin, group, "CI").json()
    Webhook.objects.filter(pk=revoked["id"]).update(revoked_at=timezone.now())

    # when: the migration runs
    _run_migration("messaging", "0014_revoked_webhooks_bots_leave")

    # then: the revoked one's bot is out, the live one's stays, as do the people
    members = set(Membership.objects.filter(conversation=group).values_list("user_id", flat=True))
    assert members == {owner.pk, admin.pk, member.pk, live["bot"]["id"]}


def _run_migration(app: str, name: str) -> None:
    """Run a migration's data step (its RunPython) against the current database."""
    executor = MigrationExecutor(connection)
    migration = executor.loader.get_migration(app, name)
    state = executor.loader.project_state((app, name))
    (step,) = [operation for operation in migration.operations if isinstance(operation, RunPython)]
    step.code(state.apps, connection.schema_editor())


@pytest.mark.parametrize("departure", ["removed", "leaves"])
async def test_a_member_who_goes_takes_their_webhooks_and_bots_with_them(
    connect, owner, admin, group, departure
):
    # given: the admin made a webhook here, and added a bot of their own, listening with its token
    hook = await sync_to_async(lambda: make_webhook(admin, group).json())()
    own_bot = await sync_to_async(account_services.bot_create)(owner=admin, username="adams-bot")
    await Membership.objects.acreate(user=own_bot, conversation=group)
    _, bot_token = await sync_to_async(account_services.api_token_create)(
        user=own_bot, name="listen", created_by=admin
    )
    bot_tab = await connect(own_bot, token=bot_token)

    # when: the admin is removed by the owner, or leaves
    def go() -> int:
        if departure == "removed":
            return bearer(owner).delete(f"/api/v1/conversations/{group.pk}/members/{admin.pk}/").status_code
        return bearer(admin).post(f"/api/v1/conversations/{group.pk}/leave/").status_code

    assert await sync_to_async(go)() == 204

    # then: the webhook is revoked, its bot retired and gone; the admin's own bot is out of the conversation
    # (it hears its owner go, and the webhook's bot, before itself)
    while (change := await bot_tab.receive_type("membership", skip=("presence",)))["user"] != own_bot.pk:
        assert (change["user"], change["state"]) in {(admin.pk, "removed"), (hook["bot"]["id"], "removed")}
    assert change["state"] == "removed"

    def after() -> None:
        webhook = Webhook.objects.select_related("bot").get(pk=hook["id"])
        assert webhook.revoked_at is not None
        assert not webhook.bot.is_active
        assert not Membership.objects.filter(user=webhook.bot, conversation=group).exists()
        assert APIClient().post(hook["url"], {"text": "still here?"}, format="json").status_code == 404
        assert not Membership.objects.filter(user=own_bot, conversation=group).exists()
        history = bearer(token=bot_token).get(f"/api/v1/conversations/{group.pk}/messages/")
        assert history.status_code == 404

    await sync_to_async(after)()
    # and nothing of the conversation reaches the admin's bot any more
    sent = await sync_to_async(bearer(owner).post)(
        f"/api/v1/conversations/{group.pk}/messages/",
        {"body": "after they left", "client_id": str(uuid.uuid4())},
        format="json",
    )
    assert sent.status_code == 202
    assert await bot_tab.nothing_more()


async def test_a_webhooks_retired_bot_loses_its_sockets(connect, admin, group):
    # a webhook's bot holding a socket (possible before the fix, with a minted token): revoking closes it
    hook = await sync_to_async(lambda: make_webhook(admin, group).json())()
    bot = await User.objects.aget(pk=hook["bot"]["id"])
    await User.objects.filter(pk=bot.pk).aupdate(is_webhook_bot=False)
    await bot.arefresh_from_db()
    _, raw = await sync_to_async(account_services.api_token_create)(user=bot, name="minted", created_by=admin)
    bot_tab = await connect(bot, token=raw)

    response = await sync_to_async(bearer(admin).delete)(f"/api/v1/webhooks/{hook['id']}/")

    assert response.status_code == 204
    assert await bot_tab.close_code() == UNAUTHENTICATED
