"""PostgreSQL, counted for /metrics with one cursor class per database (core.db_backends says why)."""

from typing import Any

from django.db.backends.postgresql import base
from django_prometheus.db.backends.postgresql import base as counted

from core.db_backends import counting_cursor_class


class DatabaseWrapper(counted.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = base.DatabaseWrapper.get_connection_params(self)  # not django-prometheus's: it makes a class
        params["cursor_factory"] = counting_cursor_class(params["cursor_factory"], self.alias, self.vendor)
        return params
