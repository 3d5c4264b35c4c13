from collections.abc import Callable, Iterator

import pytest
from django.conf import settings

from realtime.presence import presence_store
from tests.notifications.fake_push import Browser, FakePushService


@pytest.fixture
def push_service(settings) -> Iterator[FakePushService]:
    """A real HTTP push service on 127.0.0.1, and the settings that let subscriptions point at it."""
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
    settings.PUSH_ENDPOINT_HOST_SUFFIXES = ["127.0.0.1"]
    settings.PUSH_DELAY_SECONDS = 0
    settings.PUSH_REQUEST_TIMEOUT_SECONDS = 5
    service = FakePushService().start()
    yield service
    service.stop()
    assert service.rejections == [], "the push service refused a request a real one would refuse"


@pytest.fixture
def browser(push_service: FakePushService) -> Browser:
    """A browser subscribed with Parley's VAPID public key, as the web app does."""
    return push_service.subscribe(settings.VAPID_PUBLIC_KEY)


@pytest.fixture
def online() -> Iterator[Callable[[int], None]]:
    """Open a socket for a user, as a Daphne worker would; closed again after the test."""
    opened: list[int] = []

    def connect(user_id: int) -> None:
        presence_store().connect(user_id, "conn-1")
        opened.append(user_id)

    yield connect
    for user_id in opened:
        presence_store().disconnect(user_id, "conn-1")
