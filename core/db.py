"""Database helpers the apps share."""

from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def insert_new(objs: Sequence[Model]) -> list[Any]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING pk: the primary keys of the rows this call inserted, leaving
    out those another row's unique key kept out. `bulk_create(ignore_conflicts=True)` cannot tell them apart,
    which would cost a SELECT before and after the insert. One statement per database batch (SQLite limits
    parameters); the rows are inserted in the order given, so callers sort them to avoid deadlocks."""
    if not objs:
        return []
    model, pk = type(objs[0]), objs[0]._meta.pk
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    size = max(connection.ops.bulk_batch_size(fields, objs), 1)
    inserted: list[Any] = []
    for start in range(0, len(objs), size):
        query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
        query.insert_values(fields, list(objs[start : start + size]))
        compiler = query.get_compiler(using=using)
        # What execute_sql() does, but reading every returned row: it expects one row back from a single-row
        # insert, and a conflict returns none.
        compiler.returning_fields = [pk]
        with connection.cursor() as cursor:
            for sql, params in compiler.as_sql():
                cursor.execute(sql, params)
            inserted += [pk.to_python(value) for (value,) in cursor.fetchall()]
    return inserted
