"""A protocol client for tests against the running stack: it reconnects, syncs and resends like the web app,
and records every raw delivery so tests can count losses and duplicates."""

import asyncio
import contextlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.typing import Origin

ORIGIN = Origin("http://127.0.0.1")
ACK_TIMEOUT = 5.0


class SendFailed(Exception):
    pass


@dataclass
class ChatClient:
    url: str  # ws://host:port/ws/
    user: Any  # a tests.stack.conftest.StackUser: id, username, token
    received: list[dict[str, Any]] = field(default_factory=list)  # every message.new, in arrival order
    arrived_at: list[float] = field(default_factory=list)  # time.time() of each, as `received`
    events: list[dict[str, Any]] = field(default_factory=list)  # every ordered event (with a seq), in order
    cursors: dict[str, int] = field(default_factory=dict)  # per conversation, the highest seq applied
    errors: list[dict[str, Any]] = field(default_factory=list)
    reconnects: int = 0

    def __post_init__(self) -> None:
        self._ws: Any = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._connected = asyncio.Event()
        self._closing = False
        self._runner: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()
        self._pongs: list[asyncio.Future[None]] = []

    async def start(self) -> None:
        """Returns once the server has answered the first sync: its socket follows the user's conversations
        (an event sent before that may be counted as already seen, and this client syncs from nothing)."""
        self._runner = asyncio.create_task(self._run())
        await asyncio.wait_for(self._connected.wait(), 15)
        await asyncio.wait_for(self._synced.wait(), 15)

    async def stop(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await asyncio.wait_for(self._runner, 10)

    def last_seqs(self) -> dict[str, int]:
        """The cursors a `sync` resumes from (docs/protocol.md)."""
        return dict(self.cursors)

    async def _run(self) -> None:
        delay = 0.1
        while not self._closing:
            try:
                async with websockets.connect(
                    f"{self.url}?v=2&token={self.user.token}", origin=ORIGIN, open_timeout=5, close_timeout=2
                ) as ws:
                    self._ws = ws
                    delay = 0.1
                    self._synced.clear()
                    await ws.send(json.dumps({"type": "sync", "since": self.last_seqs()}))
                    self._connected.set()
                    async for raw in ws:
                        self._dispatch(json.loads(raw))
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
                pass
            self._connected.clear()
            self._fail_pending()
            if not self._closing:
                self.reconnects += 1
                await asyncio.sleep(delay * (1 + random.random()))  # backoff with jitter, as clients must
                delay = min(delay * 2, 2.0)

    def _dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if isinstance(frame.get("seq"), int):
            self._note_event(frame)
        if kind == "message.new":
            self.received.append(frame["message"])
            self.arrived_at.append(time.time())
        elif kind == "message.ack":
            self._resolve(frame["client_id"], frame)
        elif kind == "error":
            self.errors.append(frame)
            if frame.get("ref"):
                self._resolve(frame["ref"], frame)
        elif kind == "pong" and self._pongs:
            pong = self._pongs.pop(0)
            if not pong.done():
                pong.set_result(None)
        elif kind == "sync.done":
            if frame["more"]:  # a replay comes in pages: ask for the next
                asyncio.get_running_loop().create_task(self._sync_again(frame["conversations"]))
            else:
                self._synced.set()

    def _note_event(self, frame: dict[str, Any]) -> None:
        key = str(conversation_of(frame))
        self.events.append(frame)
        self.cursors[key] = max(self.cursors.get(key, 0), frame["seq"])

    async def _sync_again(self, cursors: dict[str, int]) -> None:
        with contextlib.suppress(websockets.exceptions.WebSocketException):
            await self._ws.send(json.dumps({"type": "sync", "since": self.last_seqs() | cursors}))

    def _resolve(self, client_id: str, frame: dict[str, Any]) -> None:
        future = self._pending.pop(client_id, None)
        if future is not None and not future.done():
            future.set_result(frame)

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(SendFailed("connection lost"))
        self._pending.clear()

    async def send_frame(self, frame: dict[str, Any]) -> None:
        """Send any frame on the current connection (no retry)."""
        await asyncio.wait_for(self._connected.wait(), 15)
        await self._ws.send(json.dumps(frame))

    async def roundtrip(self) -> None:
        """Ping and wait for the pong: the server handles a socket's frames in order, so every frame sent
        before has taken effect."""
        pong: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pongs.append(pong)
        await self.send_frame({"type": "ping"})
        await asyncio.wait_for(pong, ACK_TIMEOUT)

    async def send_once(self, conversation_id: int, body: str, client_id: str) -> dict[str, Any]:
        await asyncio.wait_for(self._connected.wait(), 15)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[client_id] = future
        await self._ws.send(
            json.dumps(
                {
                    "type": "message.send",
                    "conversation": conversation_id,
                    "body": body,
                    "client_id": client_id,
                }
            )
        )
        frame = await asyncio.wait_for(future, ACK_TIMEOUT)
        if frame["type"] == "error":
            raise SendFailed(frame["code"])
        return frame["message"]

    async def send(
        self, conversation_id: int, body: str, *, deadline: float = 60.0, client_id: str | None = None
    ) -> dict[str, Any]:
        """Send until acknowledged, retrying with the same client_id as the protocol allows."""
        client_id = client_id or str(uuid.uuid4())
        loop = asyncio.get_running_loop()
        give_up = loop.time() + deadline
        delay = 0.05
        while True:
            try:
                return await self.send_once(conversation_id, body, client_id)
            except (TimeoutError, SendFailed, websockets.exceptions.WebSocketException):
                if loop.time() > give_up:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)


def conversation_of(event: dict[str, Any]) -> int:
    """The conversation an ordered event belongs to (docs/protocol.md: each names it its own way)."""
    if "conversation" not in event:
        return int(event["message"]["conversation"])  # message.new
    conversation = event["conversation"]
    return int(conversation["id"] if isinstance(conversation, dict) else conversation)


async def wait_until(condition, *, within: float = 30.0, interval: float = 0.05, what=None) -> None:
    """Poll a condition that becomes true through another process's work, within a bound; `what()` says how
    far it got when it fails."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    while not condition():
        if loop.time() > give_up:
            raise AssertionError("condition not met in time" + (f": {what()}" if what else ""))
        await asyncio.sleep(interval)
