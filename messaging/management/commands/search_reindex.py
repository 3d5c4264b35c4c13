"""Rebuild the message search index in the current SEARCH_CONFIG: the stored tsvector is computed in the
configuration it was created with, so changing the setting takes effect only once the index is rebuilt."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from messaging.search import backends


class Command(BaseCommand):
    help = "Rebuild the message search index (after changing SEARCH_CONFIG)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():  # searches go on answering from the old index until the new one is in
            backends.index_drop(connection)
            backends.index_create(connection)
        self.stdout.write(f"search index rebuilt ({connection.vendor}, {backends.search_config()})")
