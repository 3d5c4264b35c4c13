"""The REST API's JSON parser: DRF's, refusing what its parser cannot take as a 400 like any other malformed
body, in words a person reads. Python's json decoder recurses once per nesting level and raises RecursionError
past the interpreter's limit, which DRF's parser lets through (a 500, even on the anonymous login); and DRF's
detail was Python's own message ("Exceeds the limit (4300 digits) for integer string conversion … use
sys.set_int_max_str_digits()", "'utf-8' codec can't decode byte 0xff …"). And a number too large for a
float (`1e400`) was read as infinity, which JSON does not have: refused as the socket refuses it (orjson, in
realtime.frames), with NaN and Infinity."""

import codecs
import math
import sys
from json import JSONDecodeError
from typing import IO, Any, cast

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

NOT_JSON = "The body is not valid JSON"
# The json module's words, where they are a parser's: the others are lower-cased as they are.
PLAIN = {
    "Expecting value": "a value is missing",
    "Unterminated string starting at": "a string is not closed",
    "Extra data": "there is more after its value",
}


class _NumberTooLong(ValueError):
    pass


class _NotFinite(ValueError):
    pass


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > sys.get_int_max_str_digits():
        raise _NumberTooLong
    return int(text)


def _float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400: past the largest float, Python reads it as inf
        raise _NotFinite
    return number


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # DRF's own check of the charset (a text codec, never bz2_codec); its stubs do not have it yet
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            decoded = cast(IO[str], codecs.getreader(encoding)(stream))
            return json.load(
                decoded,
                parse_int=_integer,
                parse_float=_float,
                parse_constant=json.strict_constant if self.strict else None,
            )
        except RecursionError:
            raise ParseError(f"{NOT_JSON}: it is nested too deeply.") from None
        except _NumberTooLong:
            digits = sys.get_int_max_str_digits()
            raise ParseError(f"{NOT_JSON}: a number in it has more than {digits} digits.") from None
        except JSONDecodeError as error:
            what = PLAIN.get(error.msg, error.msg)
            where = f"line {error.lineno}, column {error.colno}"
            raise ParseError(f"{NOT_JSON}: {what[:1].lower()}{what[1:]} ({where}).") from None
        except _NotFinite:
            raise ParseError(f"{NOT_JSON}: a number in it is too large (JSON numbers are finite).") from None
        except UnicodeDecodeError:
            raise ParseError(f"{NOT_JSON}: it is not {encoding.upper()} text.") from None
        except ValueError:  # NaN or Infinity, which JSON does not have (STRICT_JSON)
            raise ParseError(f"{NOT_JSON}: NaN and Infinity are not JSON numbers.") from None
