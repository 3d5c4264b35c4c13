from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        # The send path queues the persistence task by name (messaging.delivery.persistence): register it in
        # every process, web workers included, not only where Celery autodiscovers tasks.
        from messaging import receivers, tasks  # noqa: F401  (receivers: connects them)

        post_migrate.connect(_search_index_ensure, sender=self)


def _search_index_ensure(*, using: str, **kwargs: Any) -> None:
    """SQLite rebuilds a table to alter it, which drops its triggers: put the search index's back."""
    from messaging.search import backends

    if connections[using].vendor == "sqlite":
        backends.sqlite_index_ensure(connections[using])
