"""Issue #20's hostile client: completes the WebSocket handshake and the protocol's hello (Parley's `sync`,
Socket.IO's namespace CONNECT), is in a busy room, and then never reads its socket again.

A plain blocking socket with a small receive buffer (SO_RCVBUF, set before connecting so the TCP window
stays small), so the server's buffers fill after a few hundred kB of ordinary traffic rather than several MB.
It reads only until the server has answered its ping (it is in its rooms by then), and never after."""

from __future__ import annotations

import base64
import fcntl
import os
import socket
import struct
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.loadgen import Target

TCP_STATES = {1: "established", 4: "fin_wait1", 5: "fin_wait2", 7: "closed", 8: "close_wait", 11: "closing"}


def masked_text_frame(payload: bytes) -> bytes:
    """A client→server text frame (RFC 6455 §5.2: clients mask every frame)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x81, 0x80 | length)
    else:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, length)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _proc_address(host: str, port: int) -> str:
    """An IPv4 address as /proc/net/tcp writes it: the address's bytes in host order, then the port."""
    packed = socket.inet_aton(host)
    return f"{struct.unpack('=I', packed)[0]:08X}:{port:04X}"


@dataclass
class SlowReader:
    target: Target
    rcvbuf: int = 4096
    sock: socket.socket | None = None
    ends: tuple[str, str] = ("", "")  # the server's end and its own, as /proc/net/tcp writes them

    def open(self, timeout: float = 30) -> None:
        """Handshake, hello, ping; read until the pong; then never read again (blocking: run in a thread)."""
        url = urlsplit(self.target.url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        sock.settimeout(timeout)
        sock.connect((url.hostname or "127.0.0.1", url.port or 80))
        headers = "".join(f"{k}: {v}\r\n" for k, v in self.target.headers.items())
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{headers}\r\n"
        )
        sock.sendall(request.encode())
        seen = self._read_until(sock, b"\r\n\r\n", time.monotonic() + timeout)
        if not seen.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"slow reader refused: {seen[:80]!r}")
        if self.target.protocol == "socketio":
            sock.sendall(masked_text_frame(b"40"))  # CONNECT to "/": the server joins its room
            self._read_until(sock, b"40{", time.monotonic() + timeout, seen)
            sock.sendall(masked_text_frame(b'420["ping"]'))
        else:
            sock.sendall(masked_text_frame(b'{"type":"sync","since":{}}'))
            sock.sendall(masked_text_frame(b'{"type":"ping"}'))
        self._read_until(sock, b"pong", time.monotonic() + timeout, seen)
        self.sock = sock
        self.ends = (_proc_address(*sock.getpeername()[:2]), _proc_address(*sock.getsockname()[:2]))

    @staticmethod
    def _read_until(sock: socket.socket, marker: bytes, deadline: float, seen: bytes = b"") -> bytes:
        data = seen
        while marker not in data:
            if time.monotonic() > deadline:
                raise TimeoutError(f"slow reader: no {marker!r} from the server")
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError("slow reader: closed by the server during its hello")
            data += chunk
        return data

    def state(self) -> str:
        """Its TCP state from TCP_INFO (reading data would drain it)."""
        if self.sock is None:
            return "not open"
        info = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
        return TCP_STATES.get(info[0], f"state {info[0]}")

    def server_state(self) -> str:
        """The server's end of the connection, from /proc/net/tcp: has the server closed it? A server that
        closes a stalled socket cannot deliver its FIN behind the unread data, so the reader's own end still
        looks established; the server's shows fin_wait1, or is gone once the server aborted it."""
        if self.sock is None:
            return "not open"
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if (fields[1], fields[2]) == self.ends:
                return TCP_STATES.get(int(fields[3], 16), f"state {fields[3]}")
        return "gone"

    def unread_bytes(self) -> int:
        """Bytes waiting in its receive buffer (SIOCINQ): how far the server got before the window closed."""
        if self.sock is None:
            return 0
        return struct.unpack("i", fcntl.ioctl(self.sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
