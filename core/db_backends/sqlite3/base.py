"""SQLite, counted for /metrics with one cursor class per database (core.db_backends says why)."""

from typing import Any

from django_prometheus.db.backends.sqlite3 import base as counted

from core.db_backends import counting_cursor_class


class DatabaseWrapper(counted.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> Any:
        cursor_class = counting_cursor_class(self.CURSOR_CLASS, self.alias, self.vendor)
        return self.connection.cursor(factory=cursor_class)
