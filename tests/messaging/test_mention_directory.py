"""The socket send path resolves mentions from each worker's directory of a conversation's members
(messaging.delivery.mentions): a query when it loads, none per message after."""

from typing import cast

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from core.errors import Refused
from messaging.delivery import mentions
from messaging.delivery.mentions import MentionDirectories
from messaging.models import Conversation, Membership
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def test_one_load_serves_every_later_mention_in_the_conversation(ada, bob, cy, team):
    directories = MentionDirectories()

    assert await directories.resolve(sender_id=ada.pk, conversation_id=team.pk, body="no one") == {
        "mentions": [],
        "mentions_here": False,
        "mentions_all": False,
    }
    assert directories.loads == 0  # a body without "@" never loads
    first = await directories.resolve(sender_id=ada.pk, conversation_id=team.pk, body="@bob look")
    second = await directories.resolve(
        sender_id=bob.pk, conversation_id=team.pk, body="@ADA @all, and @nobody"
    )

    assert first["mentions"] == [bob.pk]
    assert (second["mentions"], second["mentions_all"]) == ([ada.pk], True)
    assert directories.loads == 1


async def test_a_member_who_just_joined_is_found_by_reloading_on_a_miss(ada, team, monkeypatch):
    monkeypatch.setattr(mentions, "MISS_RELOAD_SECONDS", 0.0)
    directories = MentionDirectories()
    await directories.resolve(sender_id=ada.pk, conversation_id=team.pk, body="@bob hi")

    @database_sync_to_async
    def join() -> int:
        newcomer = cast(User, UserFactory(username="dora"))
        Membership.objects.create(user=newcomer, conversation=team)
        return newcomer.pk

    dora = await join()
    resolved = await directories.resolve(sender_id=ada.pk, conversation_id=team.pk, body="welcome @dora")

    assert resolved["mentions"] == [dora]
    assert directories.loads == 2


async def test_a_policy_change_is_seen_once_the_directory_expires(ada, bob, team, monkeypatch):
    directories = MentionDirectories()
    await directories.resolve(sender_id=bob.pk, conversation_id=team.pk, body="@all hi")  # anyone may
    await Conversation.objects.filter(pk=team.pk).aupdate(all_mention_policy="admins")
    monkeypatch.setattr(mentions, "DIRECTORY_TTL_SECONDS", 0.0)

    with pytest.raises(Refused) as refused:
        await directories.resolve(sender_id=bob.pk, conversation_id=team.pk, body="@all hi")

    assert refused.value.code == "mention_not_allowed"
    # an owner still may
    owner = await directories.resolve(sender_id=ada.pk, conversation_id=team.pk, body="@here hi")
    assert owner["mentions_here"] is True
