from collections.abc import Iterator

import pytest

from tests.messaging.conftest import ada, as_user, bob, connect, eve, team  # noqa: F401  (shared fixtures)
from tests.previews.sites import Site, start_site


@pytest.fixture
def site() -> Iterator[Site]:
    """A web site on 127.0.0.1, which the default settings refuse to fetch (see `allow_site`)."""
    running = start_site()
    yield running
    running.stop()


@pytest.fixture
def allow_site(settings, site: Site) -> Site:
    """The test-only allow-list naming the site's host, and short limits so refusals come quickly."""
    settings.PREVIEW_ALLOWED_TEST_HOSTS = ["127.0.0.1"]
    settings.PREVIEW_READ_TIMEOUT_SECONDS = 0.5
    settings.PREVIEW_TOTAL_TIMEOUT_SECONDS = 2
    return site
