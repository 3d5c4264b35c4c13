"""A frame encoded once for every socket (realtime.frames.OutFrame) is byte for byte what the websockets
library sends for the same text, at every length the header spells differently."""

import pytest
from websockets.frames import Frame, Opcode

from realtime.frames import OutFrame


@pytest.mark.parametrize("length", [0, 5, 125, 126, 1000, 65535, 65536, 70000])
def test_an_out_frame_is_what_websockets_would_send(length):
    text = "é" * (length // 2) + "x" * (length % 2)  # two bytes a character: the header counts bytes
    assert OutFrame(text).wire == Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])


def test_the_encoding_is_made_once():
    frame = OutFrame('{"type":"pong"}')
    assert frame.wire is frame.wire
