"""Rate limits: REST throttles per user, per address and for anonymous callers (429 with Retry-After, the one
error shape), per webhook; the sockets' token buckets, per account on a worker (an `error` frame
`rate_limited`), and the number of sockets an account may hold (4429)."""

import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from realtime.ratelimit import TokenBucket
from tests.accounts.factories import UserFactory
from tests.messaging.test_socket_events import send_frame

ME = "/api/v1/users/me/"


def rates(**overrides):
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **overrides},
        }
    )


def as_user(user, ip="10.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_each_user_has_a_budget_of_requests():
    ada, bob = UserFactory(), UserFactory()
    with rates(user="3/min"):
        answers = [as_user(ada).get(ME).status_code for _ in range(4)]
        throttled = as_user(ada, ip="10.0.0.2").get(ME)  # another address does not help
        assert as_user(bob).get(ME).status_code == 200  # others are not affected
    assert answers == [200, 200, 200, 429]
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert throttled.json()["error"]["code"] == "throttled"


@pytest.mark.django_db
def test_one_address_has_a_budget_across_users():
    users = [UserFactory() for _ in range(4)]
    with rates(user_ip="3/min"):
        answers = [as_user(u, ip="10.1.1.1").get(ME).status_code for u in users]
        assert as_user(users[3], ip="10.1.1.2").get(ME).status_code == 200
    assert answers == [200, 200, 200, 429]


@pytest.mark.django_db
def test_anonymous_callers_are_limited_per_address():
    with rates(anon="2/min"):
        answers = [APIClient(REMOTE_ADDR="10.2.2.2").get("/api/v1/schema/").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


@pytest.mark.django_db
def test_each_webhook_has_a_budget(rf):
    from messaging.delivery.eventlog import initialise_counter
    from messaging.services.webhooks import webhook_create
    from tests.messaging.factories import make_conversation

    ada = UserFactory()
    team = make_conversation(ada, UserFactory())
    initialise_counter(team.pk)
    _, secret = webhook_create(user=ada, conversation_id=team.pk, name="CI")
    with rates(webhook="2/min"):
        answers = [
            APIClient(REMOTE_ADDR=f"10.3.3.{n}").post(
                f"/api/v1/hooks/{secret}/", {"text": "hi"}, format="json"
            )
            for n in range(3)
        ]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert "Retry-After" in answers[2]


def test_the_token_bucket_allows_a_burst_then_a_steady_rate(monkeypatch):
    clock = [100.0]
    # ratelimit's own name only, not time.monotonic itself, which every event loop reads: a main lane once
    # hung later on with its loop's clock at 160.5, this fake clock's last value
    monkeypatch.setattr("realtime.ratelimit.monotonic", lambda: clock[0])
    bucket = TokenBucket(burst=3, per_second=2)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    assert bucket.retry_after() == pytest.approx(0.5)
    clock[0] += 0.5
    assert [bucket.take(), bucket.take()] == [True, False]
    clock[0] += 60
    assert sum(bucket.take() for _ in range(10)) == 3  # refills up to the burst, no more


@pytest.mark.django_db(transaction=True)
@override_settings(
    SOCKET_RATE_BURST=2,
    SOCKET_RATE_PER_SECOND=0.01,
    SOCKET_SIGNAL_RATE_BURST=3,
    SOCKET_SIGNAL_RATE_PER_SECOND=0.01,
)
async def test_a_socket_that_sends_too_fast_gets_rate_limited_frames(connect, ada, bob, team):
    tab = await connect(ada)
    # given: typing as fast as a person types does not eat into the sends
    for _ in range(3):
        await tab.send({"type": "typing", "conversation": team.pk, "state": "start"})
    await tab.send({"type": "typing", "conversation": team.pk, "state": "start"})
    assert (await tab.receive_type("error"))["code"] == "rate_limited"  # past its own burst
    client_ids = [str(uuid.uuid4()) for _ in range(3)]
    for client_id in client_ids:
        await tab.send(
            {"type": "message.send", "conversation": team.pk, "body": "hi", "client_id": client_id}
        )
    # then: the sends within the burst go through, the next is refused, and the connection stays open
    assert [(await tab.ack_for(c))["type"] for c in client_ids[:2]] == ["message.ack", "message.ack"]
    error = await tab.ack_for(client_ids[2])
    assert (error["type"], error["code"], error["ref"]) == ("error", "rate_limited", client_ids[2])
    await tab.send({"type": "ping"})
    assert await tab.receive_type("pong", skip=("presence", "message.new")) == {"type": "pong"}


@pytest.mark.django_db(transaction=True)
@override_settings(SOCKET_RATE_BURST=2, SOCKET_RATE_PER_SECOND=0.01)
async def test_an_account_s_sockets_share_its_budget_and_others_keep_theirs(connect, ada, bob, team):
    first_tab, second_tab, bob_tab = await connect(ada), await connect(ada), await connect(bob)
    sends = [send_frame(team.pk) for _ in range(3)]
    await first_tab.send(sends[0])
    await second_tab.send(sends[1])
    await first_tab.send(sends[2])  # a third tab or a reload would not buy more either
    bob_send = send_frame(team.pk)
    await bob_tab.send(bob_send)

    assert (await first_tab.ack_for(sends[0]["client_id"]))["type"] == "message.ack"
    assert (await second_tab.ack_for(sends[1]["client_id"]))["type"] == "message.ack"
    assert (await first_tab.ack_for(sends[2]["client_id"]))["code"] == "rate_limited"
    assert (await bob_tab.ack_for(bob_send["client_id"]))["type"] == "message.ack"


@pytest.mark.django_db(transaction=True)
@override_settings(SOCKETS_PER_USER_MAX=2)
async def test_an_account_holds_a_bounded_number_of_sockets(connect, ada, bob):
    first_tab, _ = await connect(ada), await connect(ada)
    one_too_many = await connect(ada, sync=False)
    assert await one_too_many.close_code() == 4429
    await one_too_many.close()  # what the server hears once the client has gone
    await connect(bob)  # others are not affected

    # once a socket closes, another may open in its place
    await first_tab.close()
    replacement = await connect(ada)
    await replacement.send({"type": "ping"})
    assert await replacement.receive_type("pong") == {"type": "pong"}


@pytest.mark.django_db
def test_the_api_keeps_answering_when_the_rate_limit_store_is_down(monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("down")

    monkeypatch.setattr("django.core.cache.cache.get", unreachable)
    assert as_user(UserFactory()).get(ME).status_code == 200
