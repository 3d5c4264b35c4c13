"""`message_send`: the one send path for sockets, the REST API and webhooks.

Order of events, each step only after the previous succeeded:
0. a body that mentions someone ("@…") is resolved against the members, and a refused @all/@here stops the
   send here (the worker's cached directory of the members: messaging.delivery.mentions);
1. reserve: a repeated client_id returns the original message; otherwise a fresh seq is allocated;
2. publish the persistence task to RabbitMQ and wait for the broker's confirm (durable queue, persistent
   message);
3. acknowledge it to the sender (a socket's `acknowledge` callback), then log it for replay, remember it for
   its client_id and broadcast `message.new` (one Redis round trip), and return it.
If step 2 fails nothing is broadcast and the caller gets Refused("unavailable"): retrying is safe. If the
broker may have the message (the failure came after the publish was written), the retry publishes that same
message (id and seq) again, which storage takes once; otherwise the retry is a new send. Acking
before broadcasting keeps the protocol's promise that a sending socket sees its ack before its message.new."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from channels.db import database_sync_to_async
from redis.exceptions import RedisError

from accounts.models import User
from core import logcontext
from core.errors import Refused
from core.metrics import MESSAGE_SENDS, SENDS_NEW
from files.events import AttachmentPayload, attachment_payload
from files.selectors import files_for_attachment
from messaging import events, selectors
from messaging.delivery.broker import NotPublished
from messaging.delivery.journal import Reservation, get_journal
from messaging.delivery.mentions import mention_directories
from messaging.delivery.publisher import publisher_for_running_loop, waiting_for_storage
from messaging.delivery.references import reply_to_check, thread_root_check
from messaging.events import ForwardPayload, MessagePayload, SenderPayload
from realtime import fanout

logger = logging.getLogger(__name__)


# Called with (message, newly sent) once the message is durable, or with the original of a repeated client_id.
Acknowledge = Callable[[MessagePayload, bool], Awaitable[None]]

RETRY_LATER = "The message could not be sent; retry with the same client_id."
CLIENT_ID_USED_ELSEWHERE = "This client_id names a message of another conversation: use a new one."


async def message_send(
    *,
    sender: SenderPayload,
    conversation_id: int,
    body: str,
    client_id: UUID,
    reply_to: UUID | None = None,
    thread_root: UUID | None = None,
    attachment_ids: list[UUID] | None = None,
    attachments: list[AttachmentPayload] | None = None,
    acknowledge: Acknowledge | None = None,
    forwarded_from: ForwardPayload | None = None,
    mentions: events.MentionsPayload | None = None,
) -> tuple[MessagePayload, bool]:
    """Send as `sender` (a sender payload; membership already checked), into the main timeline or, with
    `thread_root`, into that message's thread; `reply_to` and `thread_root` must be messages of the
    conversation (NotFound). `attachment_ids`: the sender's own files, checked here; `attachments`: files the
    caller checked already (a forward's, its original's: messaging.events.forward_copy). `mentions`: the
    body's, if the (synchronous) caller resolved them already. Returns (message, newly sent)."""
    if reply_to is not None:
        await reply_to_check(conversation_id=conversation_id, parent_id=reply_to)
    if thread_root is not None:
        await thread_root_check(conversation_id=conversation_id, root_id=thread_root)
    if attachment_ids:
        attachments = await _attachments(sender["id"], attachment_ids)
    if mentions is None:
        mentions = await _mentions(sender["id"], conversation_id, body)
    try:
        reservation = await _reserve(sender["id"], client_id, conversation_id)
    except (RedisError, OSError) as error:  # Redis restarting: nothing was reserved, a retry is safe
        raise Refused("unavailable", RETRY_LATER) from error
    if reservation.existing is not None:
        refuse_if_elsewhere(reservation.existing["conversation"], conversation_id)
        MESSAGE_SENDS.labels("duplicate").inc()
        if acknowledge is not None:
            await acknowledge(reservation.existing, False)
        return reservation.existing, False
    attempt = reservation.attempt
    if attempt is None:
        MESSAGE_SENDS.labels("conflict").inc()
        raise Refused("conflict", "A message with this client_id is still being sent.")
    message = events.new_message_payload(
        sender=sender,
        conversation_id=conversation_id,
        seq=attempt.seq,
        message_id=attempt.message_id,
        body=body,
        client_id=client_id,
        reply_to=reply_to,
        thread_root=thread_root,
        attachments=attachments,
        forwarded_from=forwarded_from,
        mentions=mentions,
    )
    await _make_durable(message, retried=reservation.retried)
    SENDS_NEW.inc()
    try:
        if acknowledge is not None:
            await acknowledge(message, True)
    finally:  # durable: members hear of it whatever became of the sender's socket
        await _announce(message)
    return message, True


def refuse_if_elsewhere(stored_in: int, conversation_id: int) -> None:
    """A client_id names one message: a retry is answered with it, but only into its own conversation. Sent
    into another (a client's bug, or someone removed from the first conversation replaying its ids), it would
    answer with a message of a conversation the sender may no longer see."""
    if stored_in != conversation_id:
        raise Refused("invalid", CLIENT_ID_USED_ELSEWHERE)


async def _reserve(sender_id: int, client_id: UUID, conversation_id: int) -> Reservation:
    """The journal's reservation. Shortly after Redis lost the conversation's records, a client_id it does not
    know may be the retry of a message acknowledged before: storage answers for it, once storage holds
    everything that was queued then (until then the sender is asked to retry)."""
    journal = get_journal()
    reservation = await journal.reserve(
        sender_id=sender_id, client_id=client_id, conversation_id=conversation_id
    )
    if not reservation.recovering:
        return reservation
    stored = await database_sync_to_async(selectors.message_payload_by_client_id)(
        sender_id=sender_id, client_id=client_id
    )
    if stored is not None:
        return Reservation(existing=stored)
    if await waiting_for_storage():
        raise Refused("unavailable", RETRY_LATER)
    await journal.end_recovery(conversation_id)
    return await journal.reserve(
        sender_id=sender_id, client_id=client_id, conversation_id=conversation_id, checked_storage=True
    )


async def _make_durable(message: MessagePayload, *, retried: bool) -> None:
    """`retried`: an earlier send of this message may have reached the broker."""
    try:
        # The copy carries the send's trace id to the task's headers and its socket to the batch's log line
        # (delivery.persistence), never to clients.
        context = logcontext.current()
        traced: dict[str, Any] = {
            **message,
            "trace": context.get("trace"),
            "connection": context.get("connection_id"),
        }
        await publisher_for_running_loop().publish(traced)
    except Exception as error:
        MESSAGE_SENDS.labels("unavailable").inc()
        await _after_failure(message, maybe_queued=retried or not isinstance(error, NotPublished))
        raise Refused("unavailable", RETRY_LATER) from error


async def _after_failure(message: MessagePayload, *, maybe_queued: bool) -> None:
    """If the broker may have queued the message, its retry sends it again as it is, and its seq is kept (a
    receiver waits a moment, then fills the gap from storage, which may have it). Otherwise no copy exists:
    the client_id is freed for a new send, and receivers are told not to wait for the seq."""
    journal, conversation_id = get_journal(), message["conversation"]
    send = {"conversation_id": conversation_id, "sender_id": message["sender"]["id"]}
    try:
        if maybe_queued:
            await journal.hold(**send, client_id=message["client_id"])
        else:
            await journal.release(**send, client_id=message["client_id"])
            await fanout.skip_seq(conversation_id, message["seq"])
    except Exception:  # Redis is down too: the client_id's deadline passes, receivers time out the gap
        logger.warning("could not settle seq %s of conversation %s", message["seq"], conversation_id)


async def _announce(message: MessagePayload) -> None:
    """The message is durable from here on, so it is acknowledged even if Redis fails now: receivers then
    fill the gap from storage."""
    try:
        announcement = fanout.conversation_event(
            message["conversation"], events.message_new(message), seq=message["seq"]
        )
        await get_journal().commit(message, then_publish=announcement)
    except Exception:
        logger.exception("message %s is durable but could not be broadcast", message["id"])


async def _mentions(sender_id: int, conversation_id: int, body: str) -> events.MentionsPayload:
    """Whom the body mentions (raises Refused("mention_not_allowed")), from this worker's directory of the
    conversation's members (messaging.delivery.mentions): no query per message."""
    return await mention_directories().resolve(
        sender_id=sender_id, conversation_id=conversation_id, body=body
    )


async def _attachments(owner_id: int, file_ids: list[UUID]) -> list[AttachmentPayload]:
    def load() -> list[AttachmentPayload]:
        owner = User(pk=owner_id)  # only its id is needed to filter the owner's files
        return [attachment_payload(f) for f in files_for_attachment(owner=owner, file_ids=file_ids)]

    return await database_sync_to_async(load)()
