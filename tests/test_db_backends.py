"""Parley's database backends (core.db_backends): django-prometheus's, counting every query for /metrics,
with one cursor class per database. django-prometheus makes a new one on every connect (PostgreSQL: each
checkout from a web worker's pool) or cursor (SQLite): ~3 KiB of objects in reference cycles each, left
behind for the garbage collector."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler
from prometheus_client import REGISTRY


def executed(vendor: str) -> float:
    labels = {"alias": "default", "vendor": vendor}
    return REGISTRY.get_sample_value("django_db_execute_total", labels) or 0.0


@pytest.fixture
def sqlite() -> Iterator[ConnectionHandler]:
    handler = ConnectionHandler({"default": {"ENGINE": "core.db_backends.sqlite3", "NAME": ":memory:"}})
    yield handler
    handler.close_all()


@pytest.mark.django_db(transaction=True)
def test_every_postgresql_connect_counts_queries_with_the_same_cursor_class():
    classes = set()
    for _ in range(3):
        # given a connection closed, as a web worker's returns to its pool after every piece of work
        connection.close()
        # when it connects again and runs a query
        connection.ensure_connection()
        before = executed("postgresql")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            classes.add(type(cursor.cursor))
        # then the query is counted, by a cursor of the class every connect has had
        assert executed("postgresql") == before + 1
    assert len(classes) == 1


@pytest.mark.django_db
def test_every_sqlite_cursor_counts_queries_with_the_same_cursor_class(sqlite):
    classes = set()
    for _ in range(3):
        before = executed("sqlite")
        with sqlite["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            classes.add(type(cursor.cursor))
        assert executed("sqlite") == before + 1
    assert len(classes) == 1
