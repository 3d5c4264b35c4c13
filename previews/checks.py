"""A warning wherever Django runs its checks: the test-only allow-list must never reach production."""

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def allowed_test_hosts_unset(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if not settings.PREVIEW_ALLOWED_TEST_HOSTS:
        return []
    hosts = ", ".join(settings.PREVIEW_ALLOWED_TEST_HOSTS)
    return [
        checks.Warning(
            f"PREVIEW_ALLOWED_TEST_HOSTS is set ({hosts}): link previews fetch those hosts whatever "
            "their addresses, internal ones included.",
            hint="It is for tests only: unset it.",
            id="previews.W001",
        )
    ]
