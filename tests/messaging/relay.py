"""A TCP relay to this test slot's RabbitMQ whose connections can go silent, as a broker (or the network to
it) can while the connection stays open (tests/messaging/conftest.py has it as fixtures)."""

import asyncio
import socket

from django.conf import settings
from yarl import URL


class SilencingRelay:
    """Relays each connection to the broker; `silence` stops the connections open now from reading and
    answering (or only from answering). Connections made afterwards are relayed."""

    def __init__(self, broker_port: int) -> None:
        self._broker_port = broker_port
        self._requests: list[asyncio.Task[None]] = []  # publisher → broker
        self._replies: list[asyncio.Task[None]] = []  # broker → publisher
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def silence(self, *, replies_only: bool = False) -> None:
        """`replies_only`: the broker still gets what is sent (a publish is queued), its answers are lost."""
        for pump in self._replies if replies_only else [*self._requests, *self._replies]:
            pump.cancel()

    def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        self.silence()
        for writer in self._writers:
            writer.transport.abort()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        # A small receive buffer: once silent, the publisher's writes back up after a few KiB, not MiBs.
        client_writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        broker_reader, broker_writer = await asyncio.open_connection("127.0.0.1", self._broker_port)
        self._writers += [client_writer, broker_writer]
        self._requests.append(asyncio.ensure_future(self._pump(client_reader, broker_writer)))
        self._replies.append(asyncio.ensure_future(self._pump(broker_reader, client_writer)))

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


def broker_url() -> URL:
    return URL(settings.CELERY_BROKER_URL)  # this test slot's vhost, as aiormq reads it
