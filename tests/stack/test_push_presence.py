"""Present means looking, on the real stack (issue #25): a member with two sockets on two web workers is
pushed a message only when neither page is looking — then exactly once per subscription — by the real Celery
worker, to a real (fake) push service that checks VAPID and decrypts what it gets."""

import pytest

from tests.notifications.fake_push import FakePushService
from tests.stack.client import ChatClient, wait_until
from tests.stack.conftest import WS_NGINX, worker_ws

pytestmark = pytest.mark.stack

HIDDEN = {"type": "activity", "visible": False, "focused": False, "idle_seconds": 0}
LOOKING = {"type": "activity", "visible": True, "focused": True, "idle_seconds": 0}


@pytest.fixture
def push_service():
    service = FakePushService().start()
    yield service
    service.stop()
    assert service.rejections == [], "the push service refused a request a real one would refuse"


def decided(stack, message_id: str) -> bool:
    return bool(stack.query("SELECT 1 FROM notifications_pushdecision WHERE message_id = %s", (message_id,)))


def deliveries(stack, message_id: str) -> list[str]:
    rows = stack.query("SELECT status FROM notifications_pushdelivery WHERE message_id = %s", (message_id,))
    return [status for (status,) in rows]


async def test_a_member_is_pushed_only_when_no_page_of_theirs_is_looking(stack, push_service):
    # given: ada, and grace with a subscribed browser and two tabs, one on each web worker
    ada, grace = stack.user(), stack.user()
    conversation = stack.group(ada, grace)
    key = stack.get("/api/v1/push/key/").json()["public_key"]
    browser = push_service.subscribe(key)
    registered = stack.post(
        "/api/v1/push/subscriptions/", token=grace.token, json=browser.subscription_json()
    )
    assert registered.status_code == 201, registered.text
    sender = ChatClient(WS_NGINX, ada)
    background, foreground = ChatClient(worker_ws(1), grace), ChatClient(worker_ws(2), grace)
    for client in (sender, background, foreground):
        await client.start()
    try:
        # when: one tab is hidden and the other is looking, and ada writes
        await background.send_frame(HIDDEN)
        await foreground.send_frame(LOOKING)
        await background.roundtrip()
        await foreground.roundtrip()
        seen = await sender.send(conversation, "are you there?")
        # then: grace is present: the decision is made, and it pushes nothing
        await wait_until(lambda: decided(stack, seen["id"]), within=30)
        assert deliveries(stack, seen["id"]) == []

        # when: the looking tab is hidden too, and ada writes again
        await foreground.send_frame(HIDDEN)
        await foreground.roundtrip()
        away = await sender.send(conversation, "ping me when back")
        # then: grace is away: exactly one push, to her one subscription, with the message
        await wait_until(
            lambda: deliveries(stack, away["id"]) == ["sent"],
            within=30,
            what=lambda: deliveries(stack, away["id"]),
        )
        assert [push["body"] for push in push_service.received(browser)] == ["ping me when back"]
        assert len(push_service.attempts(browser)) == 1
    finally:
        for client in (sender, background, foreground):
            await client.stop()
