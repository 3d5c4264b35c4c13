"""Incoming webhooks: an owner or admin makes one for a conversation and gets a secret URL; posting to it
sends as the webhook's bot through the durable send path; the secret can be rotated and revoked."""

import uuid

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import User
from accounts.services.users import BOTS_LIMIT_REACHED
from messaging.delivery.eventlog import initialise_counter
from messaging.models import ConversationEvent, Membership, Message, Webhook
from messaging.selectors import WEBHOOK_SUSPENDED
from messaging.services import webhooks as webhook_services
from tests.accounts.factories import UserFactory
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def hooks_url(conversation) -> str:
    return f"/api/v1/conversations/{conversation.pk}/webhooks/"


def post(url: str, text: str = "build green", **headers):
    return APIClient().post(url, {"text": text}, format="json", **headers)


@pytest.fixture
def team(ada, bob):
    conversation = make_conversation(ada, bob, title="Team")
    conversation.memberships.filter(user=bob).update(role=Membership.Role.ADMIN)
    initialise_counter(conversation.pk)
    return conversation


@pytest.fixture
def hook(bob, team):
    """A webhook made by bob, an admin of the group: (its JSON, its URL)."""
    created = as_user(bob).post(hooks_url(team), {"name": "CI"}, format="json")
    assert created.status_code == 201
    return created.json(), created.json()["url"]


def test_an_admin_makes_a_webhook_and_its_url_posts_as_its_bot(bob, team, hook):
    # given
    webhook, url = hook
    assert url == f"http://testserver/api/v1/hooks/{webhook['secret']}/"
    assert webhook["secret"].startswith(f"wh_{webhook['id']}_")
    assert webhook["secret"] not in str(Webhook.objects.values())  # stored hashed
    assert Membership.objects.filter(conversation=team, user_id=webhook["bot"]["id"]).exists()
    # when
    response = post(url, "Deployed **v2**")
    # then
    assert response.status_code == 202
    message = response.json()
    assert (message["conversation"], message["body"]) == (team.pk, "Deployed **v2**")
    assert message["sender"] == webhook["bot"]
    assert message["sender"]["display_name"] == "CI"


def test_a_webhook_url_with_a_newline_after_its_secret_is_not_found(hook):
    _, url = hook
    assert url.endswith("/")
    response = post(url[:-1] + "%0A/")
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert post(url).status_code == 202


def test_a_webhook_may_have_a_name_in_any_script(bob, team):
    # its name is its bot's display name; its username is made valid (it was refused: 400 fields.username)
    created = as_user(bob).post(hooks_url(team), {"name": "Деплой"}, format="json")
    assert created.status_code == 201
    assert created.json()["bot"]["display_name"] == "Деплой"
    assert post(created.json()["url"]).json()["sender"]["display_name"] == "Деплой"


def test_a_redelivery_with_the_same_idempotency_key_is_posted_once(hook):
    _, url = hook
    first = post(url, HTTP_IDEMPOTENCY_KEY="delivery-17")
    again = post(url, HTTP_IDEMPOTENCY_KEY="delivery-17")
    other = post(url, HTTP_IDEMPOTENCY_KEY="delivery-18")
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]
    client_id = str(uuid.uuid4())
    by_body = [APIClient().post(url, {"text": "x", "client_id": client_id}, format="json") for _ in range(2)]
    assert by_body[0].json()["id"] == by_body[1].json()["id"]


def test_with_both_a_client_id_and_an_idempotency_key_the_client_id_is_the_key(hook):
    # as docs/api.md says: the header is not read when the body has a client_id
    _, url = hook
    client_id = str(uuid.uuid4())
    first = post_with(url, client_id, HTTP_IDEMPOTENCY_KEY="delivery-17")
    same_id_other_header = post_with(url, client_id, HTTP_IDEMPOTENCY_KEY="delivery-18")
    same_header_other_id = post_with(url, str(uuid.uuid4()), HTTP_IDEMPOTENCY_KEY="delivery-17")
    header_alone = post(url, HTTP_IDEMPOTENCY_KEY="delivery-17")
    assert first.json()["id"] == same_id_other_header.json()["id"]
    assert len({first.json()["id"], same_header_other_id.json()["id"], header_alone.json()["id"]}) == 3


def post_with(url: str, client_id: str, **headers):
    return APIClient().post(url, {"text": "build green", "client_id": client_id}, format="json", **headers)


def test_an_idempotency_key_longer_than_200_characters_is_refused_not_cut_short(team, hook):
    # two deliveries whose keys differ only past the 200th character were posted as one (the second lost)
    _, url = hook
    prefix = "https://ci.example.com/pipelines/" + "p" * 180
    refused = post(url, "build 2 FAILED", HTTP_IDEMPOTENCY_KEY=prefix + "/build/2")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"Idempotency-Key": ["At most 200 characters."]}
    assert not Message.objects.filter(conversation=team).exists()
    assert post(url, HTTP_IDEMPOTENCY_KEY="k" * 200).status_code == 202


def test_rotating_the_secret_retires_the_old_url(bob, hook):
    webhook, old_url = hook
    rotated = as_user(bob).post(f"/api/v1/webhooks/{webhook['id']}/rotate/")
    assert rotated.status_code == 200
    assert post(old_url).status_code == 404
    assert post(rotated.json()["url"]).status_code == 202


def test_revoking_ends_the_webhook_and_takes_its_bot_out(ada, team, hook):
    webhook, url = hook
    assert as_user(ada).delete(f"/api/v1/webhooks/{webhook['id']}/").status_code == 204  # ada owns the group
    assert post(url).status_code == 404
    assert as_user(ada).get(hooks_url(team)).json() == []
    # its bot is no longer a member: not listed, not counted, not mentionable (it stayed before)
    conversation = as_user(ada).get(f"/api/v1/conversations/{team.pk}/").json()
    assert webhook["bot"]["id"] not in [member["id"] for member in conversation["members"]]
    assert conversation["member_count"] == 2
    assert ConversationEvent.objects.filter(
        conversation=team,
        kind=ConversationEvent.Kind.MEMBERSHIP,
        user_id=webhook["bot"]["id"],
        data__state="removed",
    ).exists()


def test_webhooks_are_made_rotated_and_revoked_from_a_login_session_not_with_an_api_token(bob, team, hook):
    # given Bob's personal API token (it acts as him, but may not mint credentials that outlive it)
    webhook, url = hook
    _, raw = account_services.api_token_create(user=bob, name="script", created_by=bob)
    with_token = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    # then with it he may list the webhooks, but neither make, rotate nor revoke one (he could before)
    assert [h["id"] for h in with_token.get(hooks_url(team)).json()] == [webhook["id"]]
    made = with_token.post(hooks_url(team), {"name": "backdoor"}, format="json")
    assert (made.status_code, made.json()["error"]["code"]) == (403, "permission_denied")
    assert with_token.post(f"/api/v1/webhooks/{webhook['id']}/rotate/").status_code == 403
    assert with_token.delete(f"/api/v1/webhooks/{webhook['id']}/").status_code == 403
    # and nothing changed: one webhook, its URL still posting
    assert Webhook.objects.filter(conversation=team, revoked_at__isnull=True).count() == 1
    assert post(url).status_code == 202


def test_refusals(ada, bob, team, hook):
    webhook, url = hook
    outsider = UserFactory()
    carol = UserFactory()
    Membership.objects.create(user=carol, conversation=team)
    # only members see webhooks, only owners and admins make them; a non-member's answer is a plain 404
    assert as_user(outsider).get(hooks_url(team)).status_code == 404
    assert as_user(outsider).post(hooks_url(team), {"name": "x"}, format="json").status_code == 404
    assert as_user(carol).post(hooks_url(team), {"name": "x"}, format="json").status_code == 403
    # a plain member who did not make it cannot rotate or revoke it
    assert as_user(carol).post(f"/api/v1/webhooks/{webhook['id']}/rotate/").status_code == 403
    assert as_user(carol).delete(f"/api/v1/webhooks/{webhook['id']}/").status_code == 403
    # wrong, malformed secrets and empty text
    assert post(url.replace(webhook["secret"], webhook["secret"][:-2] + "xx")).status_code == 404
    assert post("/api/v1/hooks/nonsense/").status_code == 404
    assert post(url, "   ").status_code == 400
    # no webhooks in direct conversations
    direct = make_conversation(ada, bob, kind="direct")
    assert as_user(ada).post(hooks_url(direct), {"name": "x"}, format="json").status_code == 400


def test_a_webhook_past_its_maker_s_bot_limit_is_refused_on_its_name_saying_why(bob, team):
    # given bob owns as many bots as a person may
    for n in range(account_services.BOTS_MAX_PER_OWNER):
        account_services.bot_create(owner=bob, username=f"limit-bot-{n}")
    # when he makes a webhook, whose bot would be one more
    refused = as_user(bob).post(hooks_url(team), {"name": "CI"}, format="json")
    # then the 400 names the field he sent (it named `username`, which a webhook has none of) and says why
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"name": [BOTS_LIMIT_REACHED]}
    assert not Webhook.objects.filter(conversation=team).exists()


def test_webhooks_bots_count_against_their_maker_s_bots_and_the_refusal_says_so(bob, team):
    # given bob made as many webhooks as a person may own bots: none of their bots is listed as his bot
    for n in range(account_services.BOTS_MAX_PER_OWNER):
        webhook_services.webhook_create(user=bob, conversation_id=team.pk, name=f"hook {n}")
    assert as_user(bob).get("/api/v1/bots/").json() == []
    # when he makes a bot
    refused = as_user(bob).post("/api/v1/bots/", {"username": "deploy-bot"}, format="json")
    # then the refusal tells him that the webhooks' bots count, since he sees no bot of his anywhere
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"username": [BOTS_LIMIT_REACHED]}


def test_removing_a_webhook_s_bot_from_the_conversation_ends_the_webhook(ada, bob, team, hook):
    webhook, url = hook
    assert (
        as_user(ada).delete(f"/api/v1/conversations/{team.pk}/members/{webhook['bot']['id']}/").status_code
        == 204
    )
    assert post(url).status_code == 404
    # it ends as revoking it would: no longer listed, nor rotated into another dead URL (200 before), its bot
    # retired
    assert as_user(ada).get(hooks_url(team)).json() == []
    assert as_user(bob).post(f"/api/v1/webhooks/{webhook['id']}/rotate/").status_code == 404
    assert Webhook.objects.get(pk=webhook["id"]).is_revoked
    assert not User.objects.get(pk=webhook["bot"]["id"]).is_active


def test_a_webhook_whose_bot_was_removed_before_that_ended_it_is_not_listed_nor_rotated(ada, bob, team, hook):
    # given: its bot gone from the conversation, the webhook unrevoked (as a removal left it before)
    webhook, _ = hook
    Membership.objects.filter(conversation=team, user_id=webhook["bot"]["id"]).delete()
    # then: it is not offered as alive, nor rotated into a dead URL
    assert as_user(ada).get(hooks_url(team)).json() == []
    assert as_user(bob).post(f"/api/v1/webhooks/{webhook['id']}/rotate/").status_code == 404


@pytest.mark.parametrize("suspended", ["maker", "bot"])
def test_a_suspended_creator_s_webhook_is_refused_saying_whose_suspension(bob, hook, suspended):
    webhook, url = hook
    account = bob if suspended == "maker" else User.objects.get(pk=webhook["bot"]["id"])
    account_services.user_suspend(user=account, reason="spam")
    response = post(url)
    assert response.status_code == 403
    # it said "This account is suspended", of no account the caller has
    assert response.json()["error"] == {
        "code": "account_suspended",
        "detail": "The webhook's maker, or its bot, is suspended: it posts again once a moderator reinstates "
        "them.",
        "fields": {},
    }


def test_the_schema_promises_a_webhook_post_the_403_it_answers():
    # the schema offered the usual 403, permission_denied "Not allowed", which a webhook post never answers
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    refused = schema["paths"]["/api/v1/hooks/{secret}/"]["post"]["responses"]["403"]
    assert refused["description"].startswith("`account_suspended`: the webhook's maker, or its bot")
    example = refused["content"]["application/json"]["examples"]["Suspended"]["value"]["error"]
    assert (example["code"], example["detail"]) == ("account_suspended", WEBHOOK_SUSPENDED)


# --- Rate limits (docs/api.md): only a post that proves the secret counts against its webhook

WEBHOOK_LIMIT, REFUSED_LIMIT = 60, 20  # THROTTLE_WEBHOOK, THROTTLE_WEBHOOK_REFUSED defaults


def wrong_secret_url(webhook: dict) -> str:
    """The URL of this webhook's id with a made-up secret: anyone can write one (ids are sequential)."""
    return f"/api/v1/hooks/wh_{webhook['id']}_{'A' * 43}/"


def test_posts_with_a_wrong_secret_do_not_use_up_the_webhook_s_limit(hook):
    # given: as many posts as the webhook may make, with its id and a made-up secret, from many addresses
    webhook, url = hook
    refused = [
        post(wrong_secret_url(webhook), REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n in range(WEBHOOK_LIMIT)
    ]
    assert refused == [404] * WEBHOOK_LIMIT
    # when / then: the integration still posts (it got 429 for the rest of the minute)
    assert post(url, REMOTE_ADDR="203.0.113.50").status_code == 202


def test_a_webhook_s_own_limit_still_holds_for_posts_with_its_secret(settings, hook):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "webhook": "3/min"},
    }
    _, url = hook
    answers = [post(url, REMOTE_ADDR=f"203.0.113.{n}").status_code for n in range(4)]
    assert answers == [202, 202, 202, 429]


def test_wrong_secrets_are_limited_per_address_and_never_refuse_the_right_one(hook):
    webhook, url = hook
    flood = [post(wrong_secret_url(webhook), REMOTE_ADDR="198.51.100.7") for _ in range(REFUSED_LIMIT + 1)]
    assert [r.status_code for r in flood] == [404] * REFUSED_LIMIT + [429]
    assert flood[-1].json()["error"]["code"] == "throttled"
    assert int(flood[-1]["Retry-After"]) > 0
    # another address is not affected, nor are posts with the secret from the flooding address itself
    assert post(wrong_secret_url(webhook), REMOTE_ADDR="198.51.100.8").status_code == 404
    assert post(url, REMOTE_ADDR="198.51.100.7").status_code == 202


def test_a_wrong_secret_is_refused_before_the_body_is_read(hook):
    # a made-up secret is a 404 whatever the body, counted like every wrong secret: nobody without the
    # secret learns what a body must hold, nor gets past the per-address limit by sending bad ones
    webhook, url = hook
    bad_bodies = [{}, {"text": ""}, {"text": "x" * 100_000}, {"text": "ok", "client_id": "not a uuid"}]
    refused = [
        APIClient().post(wrong_secret_url(webhook), body, format="json", REMOTE_ADDR="198.51.100.9")
        for body in (bad_bodies * REFUSED_LIMIT)[: REFUSED_LIMIT + 1]
    ]
    assert [r.status_code for r in refused] == [404] * REFUSED_LIMIT + [429]
    # with the secret, a bad body is a 400 naming the field
    assert APIClient().post(url, {"text": ""}, format="json").json()["error"]["fields"].keys() == {"text"}
