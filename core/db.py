"""Database helpers the apps share."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, JSONField, Model
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


def insert_new_rows(model: type[Model], rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """`insert_new` for rows given as {attname: value}, without a model instance per row, and on PostgreSQL
    in one statement that takes each column as an array (INSERT … SELECT FROM unnest): Django's preparation
    of every field of every row was most of the CPU of storing a batch (docs/benchmarks.md). Values must be
    what the column stores (UUIDs and times may be text; a JSON column takes the object), and every row gives
    the same fields, the primary key among them; the others take their default, computed once per call.
    Elsewhere (SQLite) the rows go through `insert_new`."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return insert_new([model(**row) for row in rows])
    sql, given, left_out = _unnest_insert(model, tuple(rows[0]), connection.alias)
    arrays = [_as_array(field, [row[field.attname] for row in rows]) for field in given]
    defaults = [field.get_db_prep_save(field.get_default(), connection) for field in left_out]
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, [*defaults, *arrays])
        return [pk.to_python(value) for (value,) in cursor.fetchall()]


@functools.cache
def _unnest_insert(
    model: type[Model], attnames: tuple[str, ...], alias: str
) -> tuple[str, list[Field[Any, Any]], list[Field[Any, Any]]]:
    """The statement, the fields its arrays fill and those it fills with their defaults."""
    connection, quote = connections[alias], connections[alias].ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    given = [field for field in fields if field.attname in attnames]
    left_out = [field for field in fields if field.attname not in attnames]
    names = ", ".join(quote(str(field.column)) for field in given + left_out)  # concrete: never None
    selected = ", ".join(["*"] + [f"%s::{_column_type(field, connection)}" for field in left_out])
    arrays = ", ".join(f"%s::{_column_type(field, connection)}[]" for field in given)
    # Only the model's own names, quoted, go into the text; every value is a parameter.
    table, pk = quote(model._meta.db_table), quote(str(model._meta.pk.column))
    sql = f"INSERT INTO {table} ({names}) SELECT {selected} FROM unnest({arrays}) ON CONFLICT DO NOTHING"  # noqa: S608
    return f"{sql} RETURNING {pk}", given, left_out


def _column_type(field: Field[Any, Any], connection: BaseDatabaseWrapper) -> str:
    """The column's type without its parameters, as Django's own unnest insert names it."""
    return str(field.db_type(connection)).split("(")[0]


def _as_array(field: Field[Any, Any], values: list[Any]) -> list[Any]:
    if not isinstance(field, JSONField):
        return values
    if field.encoder is None:
        return [None if value is None else orjson.dumps(value).decode() for value in values]
    return [None if value is None else json.dumps(value, cls=field.encoder) for value in values]
