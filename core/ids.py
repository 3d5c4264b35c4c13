"""Ids and seqs at the boundary (docs/api.md): a number no id or seq column can hold never reaches the
database, whose integer columns end at 2**63 - 1 (PostgreSQL's bigint, SQLite's INTEGER). SQLite raises on a
larger one, PostgreSQL compares it to nothing; either way the caller gets the usual answer up front: 404 for a
path, 400 for a body or query field."""

from typing import Any

from django.urls import register_converter
from rest_framework import serializers

from core.serializers import StrictIntegerField, StringOnly

ID_MAX = 2**63 - 1  # the largest value of a BigAutoField and of a seq (BigIntegerField)


class IdConverter:
    """`<id:name>` in a URL: a positive integer an id column can hold; any other number matches no URL."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= ID_MAX:
            raise ValueError(f"{value} is not an id")  # Django's URL resolver: this pattern does not match
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

# drf-spectacular's schema for `<id:…>` path parameters (SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"]).
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": ID_MAX}


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An id in a body or query: 1 … ID_MAX."""
    return StrictIntegerField(min_value=1, max_value=ID_MAX, **kwargs)


def seq_field(**kwargs: Any) -> serializers.IntegerField:
    """A seq (or 0 for "none yet") in a body or query: 0 … ID_MAX."""
    return StrictIntegerField(min_value=0, max_value=ID_MAX, **kwargs)


class StrictUUIDField(StringOnly, serializers.UUIDField):
    """A UUID in a body or query: a string, as docs/api.md and the socket (realtime.frames.uuid) have it.
    DRF's own field also takes a JSON number (or true), as the UUID of that integer: `"client_id": 5` became
    00000000-0000-0000-0000-000000000005, a key the caller never chose."""

    default_error_messages = {"not_a_string": serializers.UUIDField.default_error_messages["invalid"]}


def uuid_field(**kwargs: Any) -> serializers.UUIDField:
    """A UUID in a body or query: a string (client ids, message and file ids)."""
    return StrictUUIDField(**kwargs)
