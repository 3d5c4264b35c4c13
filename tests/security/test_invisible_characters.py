"""Labels other people read — display names (people's and bots'), conversation titles, webhook names — keep
no bidi controls and no zero-width characters, as file names already do: a right-to-left override would show
everyone a name that is not the one stored (`moc.elgoog` read as `google.com`)."""

import pytest

from accounts.models import User
from messaging.models import Conversation, Webhook
from tests.security.test_attacks import bearer

pytestmark = pytest.mark.django_db(transaction=True)

BIDI = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
INVISIBLE = BIDI + ZERO_WIDTH


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_display_names_lose_bidi_controls_and_zero_width_characters(mallory, char):
    response = bearer(mallory).patch("/api/v1/users/me/", {"display_name": f"ad{char}min"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == "admin"
    mallory.refresh_from_db()
    assert mallory.display_name == "admin"


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_conversation_titles_lose_them_when_made_and_when_renamed(mallory, bob, char):
    client = bearer(mallory)
    created = client.post(
        "/api/v1/conversations/",
        {"kind": "group", "title": f"pay{char}roll", "members": [bob.pk]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["title"] == "payroll"
    conversation_id = created.json()["id"]
    renamed = client.patch(
        f"/api/v1/conversations/{conversation_id}/", {"title": f"{char}moc.elgoog"}, format="json"
    )
    assert renamed.status_code == 200, renamed.content
    assert Conversation.objects.get(pk=conversation_id).title == "moc.elgoog"


def test_a_title_of_nothing_but_invisible_characters_is_refused(mallory, bob):
    response = bearer(mallory).post(
        "/api/v1/conversations/",
        {"kind": "group", "title": "".join(INVISIBLE), "members": [bob.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert "title" in response.json()["error"]["fields"]
    assert not Conversation.objects.exists()


def test_bot_and_webhook_names_lose_them_too(mallory, bob):
    client = bearer(mallory)
    bot = client.post(
        "/api/v1/bots/", {"username": "deploy-bot", "display_name": "De\u202eploys"}, format="json"
    )
    assert bot.status_code == 201, bot.content
    assert User.objects.get(pk=bot.json()["id"]).display_name == "Deploys"
    team = client.post(
        "/api/v1/conversations/", {"kind": "group", "title": "T", "members": [bob.pk]}, format="json"
    )
    hook = client.post(
        f"/api/v1/conversations/{team.json()['id']}/webhooks/", {"name": "C\u200bI\u2067"}, format="json"
    )
    assert hook.status_code == 201, hook.content
    webhook = Webhook.objects.select_related("bot").get()
    assert (webhook.name, webhook.bot.display_name) == ("CI", "CI")
