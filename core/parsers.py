"""The REST API's JSON parser: DRF's, refusing what its parser cannot take as a 400 like any other malformed
body. Python's json decoder recurses once per nesting level and raises RecursionError past the interpreter's
limit, which DRF's parser lets through (a 500, even on the anonymous login)."""

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
