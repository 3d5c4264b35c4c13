"""Queue Celery tasks on RabbitMQ from the event loop, with publisher confirms (aiormq).

Celery's own producer (kombu) is synchronous, so a web worker had to publish from a thread, and every
confirm then waited for the GIL the event loop held: a ~1 ms confirm took 4 ms (p50) of wall time, and the
loop another few ms to notice (docs/benchmarks.md). Here the publish and its confirm are frames on the
loop's own connection. The message is the one Celery would send: Celery builds it (protocol 2), and its
body is the JSON kombu's serialiser would write (written by orjson, ~1/5 of the time); only the transport
differs."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Any

import aiormq
import orjson
from aiormq.abc import AbstractChannel, AbstractConnection
from aiormq.connection import TCPTransportFactory, TLSTransportFactory, TransportFactory
from kombu import Queue
from pamqp import commands as spec
from pamqp.common import FieldTable
from yarl import URL

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 2  # connecting and declaring the queue; a sender learns this fast that it is down
CONFIRM_TIMEOUT_SECONDS = 5
# Closing waits for the broker to read what is buffered and answer close-ok; one that stopped reading would
# keep it waiting for minutes (aiormq's heartbeat grace), so the connection is dropped after this.
CLOSE_TIMEOUT_SECONDS = 1
# A publish that failed this fast met a connection the broker had dropped (it restarted since): it is tried
# once more on a new one. One that failed slower met a broker that is down: a second try would only wait.
RETRY_IF_FAILED_WITHIN_SECONDS = 1
QUEUE_WAIT_LIMIT_SECONDS = 2  # a message still waiting for its batch's publish after this is not published
# The longest a send waits for the broker's answer: the wait for its batch, a quick failure and its close,
# and one whole attempt with its close. The journal keeps a send's client_id pending for longer than this,
# so that a retry meanwhile is told `conflict` and cannot become a second message.
LONGEST_SEND_SECONDS = (
    QUEUE_WAIT_LIMIT_SECONDS
    + RETRY_IF_FAILED_WITHIN_SECONDS
    + CONNECT_TIMEOUT_SECONDS
    + CONFIRM_TIMEOUT_SECONDS
    + 2 * CLOSE_TIMEOUT_SECONDS
)
# How this connection shows in RabbitMQ's management UI and `rabbitmqctl list_connections client_properties`.
CLIENT_PROPERTIES: FieldTable = {"connection_name": f"parley web worker {os.getpid()}"}
PERSISTENT = 2  # delivery mode: the broker writes the message to disk before confirming it


@dataclass(frozen=True)
class TaskMessage:
    """A Celery task as it travels: headers and properties (protocol 2) and the serialised arguments."""

    queue: Queue
    headers: dict[str, Any]
    properties: dict[str, Any]
    body: Any  # (args, kwargs, embed) of JSON-native values, serialised on publish

    def amqp_body_and_properties(self) -> tuple[bytes, spec.Basic.Properties]:
        properties = spec.Basic.Properties(
            content_type="application/json",  # what Celery's worker decodes with kombu's json serialiser
            content_encoding="utf-8",
            headers=self.headers,
            delivery_mode=PERSISTENT,
            priority=0,
            correlation_id=self.properties["correlation_id"],
            reply_to=self.properties.get("reply_to") or None,
        )
        return orjson.dumps(self.body), properties


class PublishRefused(Exception):
    """The broker answered the publish with a nack (or returned it)."""


class NotPublished(Exception):
    """Nothing of the task reached the broker: it is certainly not queued. Any other failure leaves that open
    (a connection lost, or a confirm that never came, after the publish was written)."""


class TransportKeeper(TransportFactory):
    """Opens a connection as aiormq would (TCP or TLS) and keeps its transport, so that a connection
    whose close hangs can be dropped (aiormq offers no abort)."""

    def __init__(self, *, tls: bool) -> None:
        self._opener = TLSTransportFactory() if tls else TCPTransportFactory()
        self.transport: asyncio.WriteTransport | None = None

    async def create(self, url: URL, **kwargs: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await self._opener.create(url, **kwargs)
        self.transport = writer.transport
        return reader, writer


class BrokerPublisher:
    """One connection and one confirm channel, opened on first use and after any failure. Not shared
    between event loops (messaging.delivery.publisher keeps one per loop)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._connection: AbstractConnection | None = None
        self._keeper: TransportKeeper | None = None
        self._channel: AbstractChannel | None = None
        self._declared: set[str] = set()

    async def publish(self, task: TaskMessage) -> None:
        """Return once the broker has confirmed the task as queued; raise otherwise, NotPublished if the
        task certainly is not queued. A connection found dead (the broker restarted since the last publish)
        is reopened once, as kombu's retry did: a task published twice is harmless (the persistence task is
        idempotent)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await self._publish_once(task)
        except PublishRefused:
            raise
        except Exception as error:
            if loop.time() - started > RETRY_IF_FAILED_WITHIN_SECONDS:
                raise
            logger.warning("reconnecting to the broker after %r", error)
            await self.close()
            try:
                await self._publish_once(task)
            except NotPublished:
                if isinstance(error, NotPublished):
                    raise
                raise error from None  # the first attempt may have queued it: its failure is the answer

    async def _publish_once(self, task: TaskMessage) -> None:
        written = False
        try:
            channel = await self._open_channel(task.queue)
            body, properties = task.amqp_body_and_properties()
            written = True
            confirmation = await channel.basic_publish(
                body,
                routing_key=task.queue.name,
                properties=properties,
                mandatory=True,  # an unroutable task raises (PublishError) instead of vanishing
                timeout=CONFIRM_TIMEOUT_SECONDS,
            )
        except BaseException as error:
            await self.close()  # whatever state the channel is in, the next publish starts afresh
            if not written and isinstance(error, Exception):
                raise NotPublished(f"the broker could not be reached: {error!r}") from error
            raise
        if not isinstance(confirmation, spec.Basic.Ack):
            raise PublishRefused(f"the broker answered {confirmation!r}")

    async def _open_channel(self, queue: Queue) -> AbstractChannel:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            if self._channel is None or self._channel.is_closed:
                await self.close()
                self._keeper = TransportKeeper(tls=URL(self._url).scheme == "amqps")
                self._connection = await aiormq.connect(
                    self._url, client_properties=CLIENT_PROPERTIES, transport_factory=self._keeper
                )
                self._channel = await self._connection.channel(publisher_confirms=True)
                self._declared.clear()
            if queue.name not in self._declared:
                # As kombu declares before publishing: a task sent before any worker declared its queue is
                # kept.
                await self._channel.queue_declare(
                    queue.name, durable=queue.durable, arguments=queue.queue_arguments or {}
                )
                self._declared.add(queue.name)
            return self._channel

    async def waiting_in(self, queue: Queue) -> int:
        """How many messages wait in a queue, ready for a consumer (a passive declare)."""
        try:
            channel = await self._open_channel(queue)
            declared = await channel.queue_declare(queue.name, passive=True)
        except BaseException:
            await self.close()
            raise
        return int(declared.message_count or 0)

    async def close(self) -> None:
        """Close the connection, or drop it if the broker does not take the close in time: a publish that
        failed on a silent broker must not wait on it again, nor the publishes behind it."""
        connection, self._connection, self._channel = self._connection, None, None
        keeper, self._keeper = self._keeper, None
        if connection is None:
            return
        closing = asyncio.ensure_future(connection.close())
        closing.add_done_callback(_log_close_error)
        try:
            await asyncio.wait([closing], timeout=CLOSE_TIMEOUT_SECONDS)
        finally:  # timed out, or this publish was cancelled: the close is not waited for
            if not closing.done() and keeper is not None and keeper.transport is not None:
                keeper.transport.abort()  # what the broker has not read is dropped; aiormq's close ends


def _log_close_error(closing: asyncio.Future[None]) -> None:
    """A connection already broken has nothing to close cleanly: its error is only worth a debug line."""
    if not closing.cancelled() and closing.exception() is not None:
        logger.debug("broker connection closed with an error", exc_info=closing.exception())


def aiormq_url(*, hostname: str, port: int, userid: str, password: str, virtual_host: str, ssl: bool) -> str:
    """The broker's address as aiormq reads it, from kombu's parsed CELERY_BROKER_URL."""
    return str(
        URL.build(
            scheme="amqps" if ssl else "amqp",
            user=userid,
            password=password,
            host=hostname,
            port=port,
            path="/" + virtual_host,  # "//" for the vhost "/"
        )
    )
