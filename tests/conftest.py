import pytest
from channels.layers import channel_layers
from django.core.cache import cache
from rest_framework.test import APIClient

from chatproject.celery import app as celery_app
from tests.accounts.factories import UserFactory


@pytest.fixture(autouse=True)
def _clean_redis_and_channel_layer():
    """Throttle counters, seq counters and the recent log live in Redis: every test starts from a clean
    slate, with a channel layer of its own (its receive locks belong to one event loop)."""
    cache.clear()
    channel_layers.backends.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _empty_task_queues():
    """Tasks published by one test must not be run by a later test's worker against other rows."""
    with celery_app.connection_for_write() as connection:
        for queue in celery_app.conf.task_queues:
            bound = queue.bind(connection.default_channel)
            bound.declare()
            bound.purge()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
