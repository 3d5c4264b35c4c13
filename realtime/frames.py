"""The socket's wire format (docs/protocol.md): serialising server frames, and parsing and validating client
frames. Hand-written rather than DRF serializers: this runs once per frame on the hot path."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

import orjson

from core.errors import Refused
from core.ids import ID_MAX
from core.text import has_visible

MAX_FRAME_BYTES = 64 * 1024
PROTOCOL_VERSION = "2"  # what a socket must ask for (`?v=2`, docs/protocol.md)


def to_json(payload: Mapping[str, Any]) -> str:
    """A server frame's text: compact, UTF-8 as is. Done once per broadcast, never per recipient; orjson
    takes ~1/5 of the standard library's time for these small objects (docs/benchmarks.md)."""
    return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS).decode()


class OutFrame:
    """A frame on its way to sockets: its text, and its WebSocket encoding, made once however many sockets
    it goes to (realtime.uvicorn_ws writes those bytes as they are)."""

    __slots__ = ("_wire", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._wire: bytes | None = None

    @property
    def wire(self) -> bytes:
        """The whole text frame as a server sends it (final, unmasked, uncompressed; RFC 6455 5.2)."""
        if self._wire is None:
            payload = self.text.encode()
            length = len(payload)
            if length < 126:
                header = bytes((0x81, length))
            elif length < 65536:
                header = bytes((0x81, 126)) + length.to_bytes(2, "big")
            else:
                header = bytes((0x81, 127)) + length.to_bytes(8, "big")
            self._wire = header + payload
        return self._wire


def invalid(detail: str) -> Refused:
    return Refused("invalid", detail)


def parse(text: str | None, data: bytes | None) -> dict[str, Any]:
    raw = text if text is not None else (data or b"").decode("utf-8", errors="replace")
    if len(raw) > MAX_FRAME_BYTES or len(raw.encode("utf-8")) > MAX_FRAME_BYTES:
        raise Refused("too_large", f"Frames are at most {MAX_FRAME_BYTES} bytes.")
    try:
        frame = orjson.loads(raw)  # refuses what no JSON encoder makes: NaN, lone surrogates, depth > 1024
    except orjson.JSONDecodeError:
        raise Refused("invalid_json", "The frame is not valid JSON.") from None
    if not isinstance(frame, dict):
        raise Refused("invalid_json", "The frame must be a JSON object.")
    return frame


def ref_of(frame: dict[str, Any]) -> str | None:
    client_id = frame.get("client_id")
    return client_id if isinstance(client_id, str) and len(client_id) <= 64 else None


def integer(frame: dict[str, Any], name: str, *, minimum: int = 0, maximum: int = ID_MAX) -> int:
    """An integer field, by default an id or seq (docs/protocol.md: at most 2^63-1, what a column holds). The
    refusal names the range accepted, the largest number too: "≥ 0" refused 2^63 with no word of why."""
    value = frame.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise invalid(f"`{name}` must be an integer from {minimum} to {maximum}.")
    return value


def uuid(frame: dict[str, Any], name: str) -> UUID:
    value = frame.get(name)
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            pass
    raise invalid(f"`{name}` must be a UUID string.")


def optional_uuid(frame: dict[str, Any], name: str) -> UUID | None:
    return None if frame.get(name) is None else uuid(frame, name)


def uuid_list(frame: dict[str, Any], name: str, *, max_items: int) -> list[UUID]:
    values = frame.get(name) or []
    if not isinstance(values, list) or len(values) > max_items:
        raise invalid(f"`{name}` must be a list of at most {max_items} ids.")
    return [uuid({name: value}, name) for value in values]


def text(frame: dict[str, Any], name: str, *, max_length: int) -> str:
    value = frame.get(name)
    if not isinstance(value, str) or not has_visible(value) or len(value) > max_length:
        raise invalid(f"`{name}` must be a non-blank string of at most {max_length} characters.")
    if not storable(value):
        raise invalid(f"`{name}` contains characters that cannot be stored (NUL or a lone surrogate).")
    return value


def storable(value: str) -> bool:
    """PostgreSQL text takes neither NUL nor lone surrogates (JSON can carry both): refuse them up front,
    or an acknowledged message could never be stored."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def asks_for_current_version(query_string: bytes) -> bool:
    """Whether a socket's URL asks for this protocol's version (`?v=2`)."""
    return parse_qs(query_string.decode("latin-1")).get("v") == [PROTOCOL_VERSION]


def boolean(frame: dict[str, Any], name: str) -> bool:
    """An optional boolean field (absent: false)."""
    value = frame.get(name, False)
    if not isinstance(value, bool):
        raise invalid(f"`{name}` must be true or false.")
    return value


def flag(frame: dict[str, Any], name: str) -> bool:
    """A required boolean field."""
    value = frame.get(name)
    if not isinstance(value, bool):
        raise invalid(f"`{name}` must be true or false.")
    return value


def choice(frame: dict[str, Any], name: str, options: tuple[str, ...]) -> str:
    value = frame.get(name)
    if value not in options:
        raise invalid(f"`{name}` must be one of {', '.join(options)}.")
    return str(value)


def seq_map(frame: dict[str, Any], name: str, *, max_items: int) -> dict[int, int]:
    """{"<conversation id>": last seq} with integer keys and values."""
    value = frame.get(name)
    if not isinstance(value, dict) or len(value) > max_items:
        raise invalid(f"`{name}` must be an object of at most {max_items} conversations.")
    try:
        parsed = {int(key): seq for key, seq in value.items()}
    except ValueError:
        raise invalid(f"`{name}` keys must be conversation ids.") from None
    for seq in parsed.values():
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= ID_MAX:
            raise invalid(f"`{name}` values must be seqs from 0 to {ID_MAX}.")
    return parsed
