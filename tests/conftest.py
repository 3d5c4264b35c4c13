import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in Redis: every test starts from a clean slate."""
    cache.clear()
    yield
    cache.clear()


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
