"""Request bodies as every app's api reads them."""

import re
from typing import Any

from rest_framework import serializers


# A request body validated whole whatever the method, so that its required fields are required in a PATCH
# too (a role change names its role). DRF's update views and drf-spectacular make a PATCH's serializer
# partial, every field optional; Parley's views validate a PATCH body as it comes, and with this the OpenAPI
# schema says so: the body's own component, its `required` kept, not a `Patched…` one. (A comment, not a
# docstring: drf-spectacular would show a docstring as the description of every body made with it.)
class WholeBodySerializer(serializers.Serializer):
    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass  # DRF and drf-spectacular set it; a whole body stays whole


class StringOnly(serializers.Field):
    """A text field of a request that takes a JSON string and nothing else: a number, true or false, a list or
    an object is a 400 on the field ("Not a valid string."). DRF's CharField, and the Email, URL and Regex
    fields built on it, write a number as its text: `{"body": 123}` was sent as the message "123", and
    `{"username": 1e999}` registered the name "inf". Mixed in before the DRF field it makes strict."""

    default_error_messages = {"not_a_string": "Not a valid string."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            raise serializers.ValidationError(self.error_messages["not_a_string"], code="invalid")
        return super().to_internal_value(data)


_ASCII_INTEGER = re.compile(r"-?[0-9]+")


class StrictIntegerField(serializers.IntegerField):
    """A whole number of a request: a JSON integer, or in a query string its ASCII digits (`-` first if it is
    negative), and nothing else is a 400 on the field ("A valid integer is required."). DRF's own takes what
    Python's int() takes once a trailing `.0` is cut: `?ids=٣` (an Arabic-Indic 3) was user 3, `?limit=1_0`
    10, and ` 7`, `+7`, `7.0`, a JSON 7.0 or `true` 7 or 1. Every whole number of a request body or query
    (core.ids' ids and seqs too) is one (tests/security/test_integer_ranges.py checks them all)."""

    def to_internal_value(self, data: Any) -> int:
        text = isinstance(data, str) and _ASCII_INTEGER.fullmatch(data)
        if isinstance(data, bool) or not (isinstance(data, int) or text):
            self.fail("invalid")
        return super().to_internal_value(data)


# Every text field of a request body is one of these (tests/security/test_text_fields.py checks them all).
class StrictCharField(StringOnly, serializers.CharField):
    pass


class StrictEmailField(StringOnly, serializers.EmailField):
    pass


class StrictURLField(StringOnly, serializers.URLField):
    pass


class StrictRegexField(StringOnly, serializers.RegexField):
    pass
