"""Ids and seqs at the boundary (docs/api.md): a number no id or seq column can hold never reaches the
database, whose integer columns end at 2**63 - 1 (PostgreSQL's bigint, SQLite's INTEGER). SQLite raises on a
larger one, PostgreSQL compares it to nothing; either way the caller gets the usual answer: in a path, the
endpoint's own 404 for an id that is not there ("No such bot."), in a body or query field a 400."""

import re
import uuid
from typing import Any

from django.urls import register_converter
from rest_framework import serializers

from core.serializers import StrictIntegerField, StringOnly

ID_MAX = 2**63 - 1  # the largest value of a BigAutoField and of a seq (BigIntegerField)


NO_ID = 0  # what a path segment that cannot be an id stands for: no row has it
NO_UUID = uuid.UUID(int=0)  # the nil UUID: no row has it either


class IdConverter:
    """`<id:name>` in a URL: a positive integer an id column can hold. Any other segment (`abc`, `-1`, 20
    digits) is NO_ID, so that the view answers it as it answers an id that does not exist: with its own 404
    ("No such bot."), where not matching the URL gave Django's "Not found.", the same for every endpoint."""

    regex = "[^/]+"

    def to_python(self, value: str) -> int:
        if not (value.isascii() and value.isdigit() and len(value) <= 19):
            return NO_ID
        number = int(value)
        return number if 1 <= number <= ID_MAX else NO_ID

    def to_url(self, value: int) -> str:
        return str(value)


class UuidConverter:
    """`<uuid_id:name>` in a URL: a UUID with its hyphens, in either case (Django's `<uuid:…>` took lower case
    only), else NO_UUID, answered as a UUID no row has ("No such message.")."""

    regex = "[^/]+"
    exact = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value) if self.exact.fullmatch(value) else NO_UUID

    def to_url(self, value: uuid.UUID) -> str:
        return str(value)


register_converter(IdConverter, "id")
register_converter(UuidConverter, "uuid_id")

# drf-spectacular's schema for `<id:…>` path parameters (SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"]).
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
UUID_SCHEMA: dict[str, Any] = {"type": "string", "format": "uuid"}


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An id in a body or query: 1 … ID_MAX."""
    return StrictIntegerField(min_value=1, max_value=ID_MAX, **kwargs)


def seq_field(*, minimum: int = 0, **kwargs: Any) -> serializers.IntegerField:
    """A seq (or 0 for "none yet") in a body or query: 0 … ID_MAX; `minimum=1` for one that must name a
    message (seqs start at 1)."""
    return StrictIntegerField(min_value=minimum, max_value=ID_MAX, **kwargs)


class StrictUUIDField(StringOnly, serializers.UUIDField):
    """A UUID in a body or query: a string, as docs/api.md and the socket (realtime.frames.uuid) have it.
    DRF's own field also takes a JSON number (or true), as the UUID of that integer: `"client_id": 5` became
    00000000-0000-0000-0000-000000000005, a key the caller never chose."""

    default_error_messages = {"not_a_string": serializers.UUIDField.default_error_messages["invalid"]}


def uuid_field(**kwargs: Any) -> serializers.UUIDField:
    """A UUID in a body or query: a string (client ids, message and file ids)."""
    return StrictUUIDField(**kwargs)
