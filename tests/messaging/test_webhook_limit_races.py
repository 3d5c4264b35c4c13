"""Two webhooks made at once by two admins of a conversation with one place left: one is made, the other
refused. Both counted the conversation's webhooks before either was saved, so it got 21 (docs/api.md)."""

import pytest

from messaging.delivery.eventlog import initialise_counter
from messaging.models import Membership, Webhook
from messaging.services import webhooks
from tests.accounts.test_bot_limit_races import race_for_the_last_place
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_webhooks_made_at_once_for_a_conversation_s_last_place_make_one(monkeypatch, ada, bob):
    # given a group with one webhook short of the limit, ada its owner and bob an admin
    team = make_conversation(ada, bob, title="Team")
    team.memberships.filter(user=bob).update(role=Membership.Role.ADMIN)
    initialise_counter(team.pk)
    for n in range(webhooks.WEBHOOKS_MAX_PER_CONVERSATION - 1):
        webhooks.webhook_create(user=ada, conversation_id=team.pk, name=f"hook {n}")
    makers = {"first": ada, "second": bob}
    # when each makes one at once, the first paused once it has counted the conversation's webhooks
    outcomes = race_for_the_last_place(
        monkeypatch,
        webhooks,
        "channel_join",
        lambda name: webhooks.webhook_create(user=makers[name], conversation_id=team.pk, name=name),
    )
    # then one is made and the other refused (400 on `name`)
    assert outcomes == ["made", "refused"]
    live = Webhook.objects.filter(conversation=team, revoked_at__isnull=True)
    assert live.count() == webhooks.WEBHOOKS_MAX_PER_CONVERSATION
