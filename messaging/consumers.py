"""The chat socket (docs/protocol.md): one per browser tab, carrying all of its user's conversations.

Thin by design: frames are validated by realtime.frames, sends go through messaging.delivery.send, other
writes through services. The hot path (message.send → ack → fan-out) reads only this connection's cached
membership. Broadcasts arrive from this worker's hub (realtime.hub), not from a channel layer: the hub calls
`on_broadcast` for every socket that follows a channel, in publish order."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID, uuid4

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DatabaseError
from redis.exceptions import RedisError

from accounts import selectors as account_selectors
from accounts import ws_auth
from accounts.models import User
from core import logcontext, metrics
from core.errors import NotFound, Refused, not_found_detail
from messaging import events, selectors, services
from messaging.delivery.journal import get_journal
from messaging.delivery.send import message_send
from messaging.models import Message, Reaction
from realtime import close_codes, fanout, frames, redis_watch, shutdown
from realtime.hub import Broadcast, BroadcastKind, Hub, get_hub
from realtime.outbox import Outbox
from realtime.presence import StatusChange, heartbeat, presence_store
from realtime.ratelimit import ACCOUNT_KINDS, BUCKET_OF_FRAME, FrameBudget, account_budget
from realtime.stream import REPLAY_PAGE, SocketStream
from realtime.transport import transport_of
from realtime.uvicorn_ws import frame_writer_of

logger = logging.getLogger(__name__)

SYNC_MAX_CONVERSATIONS = 1000
ACTIVITY_MAX_IDLE_SECONDS = 86400  # an `activity` frame's idle_seconds: 0 to a day
Handler = Callable[["ChatConsumer", dict[str, Any]], Awaitable[None]]
T = TypeVar("T")
SERVICE_UNAVAILABLE = "The service is briefly unavailable; nothing was changed. Retry shortly."
NO_CONVERSATIONS: frozenset[int] = frozenset()  # shared by every socket whose user blocks nobody


class ChatConsumer(AsyncJsonWebsocketConsumer):
    user_id: int
    hub: Hub
    stream: SocketStream

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conversations: set[int] = set()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            suspended = self.scope.get("suspended")
            await self.close(code=close_codes.SUSPENDED if suspended else close_codes.UNAUTHENTICATED)
            return
        if shutdown.is_draining():  # this worker is going away: the client reconnects to another
            await self.accept()
            await self.close(code=close_codes.GOING_AWAY)
            return
        if not frames.asks_for_current_version(self.scope.get("query_string", b"")):
            await self.accept()
            await self.close(code=close_codes.UNSUPPORTED_VERSION)
            return
        # The socket keeps the user's id, not the User: writes load it in the database thread (one query by
        # primary key), and an idle socket does not hold a model instance (docs/benchmarks.md).
        self.user_id = user.pk
        del self.scope["user"]
        self.scope["query_string"] = b""  # its token and version are read: not kept for the socket's life
        # Rate limits (realtime.ratelimit), each from the first frame it counts: the socket's, the account's.
        self.own_budget: FrameBudget | None = None
        self.account_budget: FrameBudget | None = None
        self.synced: set[int] | None = None  # conversations this socket has replayed from the client's cursor
        self.sender = events.sender_payload(user)
        self.connection_id = uuid4().hex
        logcontext.bind(connection_id=self.connection_id, user_id=user.pk)  # on this socket's log lines
        metrics.OPEN_SOCKETS.inc()
        outbox = Outbox(
            self._send_text,
            transport=transport_of(self.base_send),
            max_bytes=settings.SOCKET_OUTBOX_MAX_BYTES,
            max_age=settings.SOCKET_OUTBOX_MAX_AGE_SECONDS,
            on_overflow=self._too_slow,
            frames=frame_writer_of(self.scope),
        )
        self.stream = SocketStream(
            outbox,
            fetch=get_journal().replay,
            follows=self.conversations.__contains__,
            present=self._for_this_reader,
        )
        conversations, (self.may_post, self.blocked_conversations) = await database_sync_to_async(
            _starting_state
        )(user)
        self.conversations.update(conversations)
        await self.accept()
        shutdown.register(self)
        self.hub = get_hub()
        await self.hub.follow(self._channels(), self)
        await self._start_after_baselines(list(self.conversations))
        self.looking = True  # until the client says otherwise (older clients never do)
        presence = await self._change_presence(presence_store().connect, user.pk, self.connection_id)
        if presence is not None and presence.sockets > settings.SOCKETS_PER_USER_MAX:
            await self.close(code=close_codes.TOO_MANY_SOCKETS)  # its presence goes as it closes
            return
        heartbeat().keep(user.pk, self.connection_id)
        redis_watch.watch()
        if not await ws_auth.still_valid(user_id=user.pk, session=self.scope.get("session", "")):
            await self.close(code=close_codes.UNAUTHENTICATED)  # revoked while it connected

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Run the socket: its ASGI messages, one after another. However it ends (a close, or an exception
        nothing caught, after which the server drops the connection without a `disconnect`), what the socket
        held here is let go.

        Channels' own loop (AsyncConsumer.__call__) is for consumers on a channel layer, which this one is
        not: it awaits each message in a task of its own, beside the socket's, and keeps the last one (its
        task, its coroutine, the message) until the next. An idle socket waits here instead, in the
        server's `receive`, holding nothing of the messages it has handled (tests/messaging/
        test_idle_socket_cost.py; docs/benchmarks.md, "Idle socket memory")."""
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            await self._let_go()

    async def disconnect(self, code: int) -> None:
        await self._let_go()

    async def _let_go(self) -> None:
        """Give up the socket's presence, heartbeat, timers and subscriptions; once, however often called."""
        if not hasattr(self, "connection_id") or getattr(self, "released", False):
            return
        self.released = True
        metrics.OPEN_SOCKETS.dec()
        shutdown.unregister(self)
        heartbeat().drop(self.connection_id)
        self.stream.close()
        await self.hub.unfollow(self._channels(), self)
        await self._change_presence(presence_store().disconnect, self.user_id, self.connection_id)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, without the hop to the database thread it makes before *every* ASGI message to
        close stale connections: a frame that needs the database reaches it through database_sync_to_async,
        which closes them itself, and most frames (sends, typing, pings) never do."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- frames from the client

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        ref = None
        try:
            frame = frames.parse(text_data, bytes_data)
            ref = frames.ref_of(frame)
            frame_type = frame.get("type")
            handler = HANDLERS.get(frame_type) if isinstance(frame_type, str) else None
            if handler is None:
                raise Refused("unknown_type", "Unknown or missing frame type.")
            kind = BUCKET_OF_FRAME.get(frame["type"])
            if kind is not None:  # `ping` is not counted
                self._budget_for(kind).spend(kind)
            await handler(self, frame)
        except Refused as error:
            await self.send_error(error.code, error.detail, ref)
        except ObjectDoesNotExist as error:
            await self.send_error("not_found", not_found_detail(error), ref)
        except PermissionDenied as error:
            await self.send_error("forbidden", str(error) or "Not allowed.", ref)
        except ValidationError as error:
            await self.send_error("invalid", "; ".join(error.messages), ref)
        except (DatabaseError, RedisError):
            # PostgreSQL or Redis down for a moment (restarting, failing over): the frame changed nothing (a
            # service's transaction rolled back) and the client retries it; the socket carries on.
            logger.warning("frame not handled: a service is unavailable", exc_info=True)
            await self.send_error("unavailable", SERVICE_UNAVAILABLE, ref)

    def _budget_for(self, kind: str) -> FrameBudget:
        if kind in ACCOUNT_KINDS:
            self.account_budget = self.account_budget or account_budget(self.user_id)
            return self.account_budget
        self.own_budget = self.own_budget or FrameBudget()
        return self.own_budget

    async def send_error(self, code: str, detail: str, ref: str | None) -> None:
        metrics.ERROR_FRAMES.labels(code).inc()
        if code == "unavailable":  # the server's fault, not the client's
            logger.warning("frame refused: %s", detail, extra={"code": code, "ref": ref})
        self._push(events.error(code, detail, ref))

    def _require_member(self, conversation_id: int) -> None:
        if conversation_id not in self.conversations:
            raise NotFound(selectors.NO_SUCH_CONVERSATION)

    async def on_send(self, frame: dict[str, Any]) -> None:
        client_id = frames.uuid(frame, "client_id")
        conversation_id = frames.integer(frame, "conversation")
        body = frames.text(frame, "body", max_length=Message.BODY_MAX_LENGTH)
        reply_to = frames.optional_uuid(frame, "reply_to")
        thread_root = frames.optional_uuid(frame, "thread_root")
        attachments = frames.uuid_list(frame, "attachments", max_items=10)
        await self._send(
            conversation_id,
            client_id,
            body=body,
            reply_to=reply_to,
            thread_root=thread_root,
            attachment_ids=attachments,
        )

    async def on_forward(self, frame: dict[str, Any]) -> None:
        """A copy of a message this user may see, sent into another of their conversations like a message."""
        client_id = frames.uuid(frame, "client_id")
        conversation_id = frames.integer(frame, "conversation")
        message_id = frames.uuid(frame, "message")
        self._require_member(conversation_id)
        original = await self._as_user(selectors.message_to_forward, message_id=message_id)
        await self._send(conversation_id, client_id, **events.forward_copy(original))

    async def _send(self, conversation_id: int, client_id: UUID, **message: Any) -> None:
        """Send through the durable path and acknowledge it here; `message`: the rest of message_send's."""
        started = time.perf_counter()
        self._require_member(conversation_id)
        if not self.may_post:
            await self._as_user(account_selectors.user_check_may_post)  # raises Refused, with its message
        if conversation_id in self.blocked_conversations:
            raise Refused("blocked", services.BLOCKED)

        async def acknowledge(sent: events.MessagePayload, new: bool) -> None:
            self._push(events.message_ack(str(client_id), sent))
            metrics.observe_ack(new=new, started=started)
            # DEBUG: a line per message cost a busy worker ~8 % of its CPU; the batch's line (INFO) has the
            # message's id, trace and socket (docs/operations.md, "Following one message").
            logger.debug("message acked", extra={"message_id": sent["id"], "new": new})

        with logcontext.bound(trace=logcontext.new_id()):  # follows this send through Celery to its pushes
            await message_send(
                sender=self.sender,
                conversation_id=conversation_id,
                client_id=client_id,
                acknowledge=acknowledge,
                **message,
            )

    async def on_edit(self, frame: dict[str, Any]) -> None:
        message_id = frames.uuid(frame, "message")
        body = frames.text(frame, "body", max_length=Message.BODY_MAX_LENGTH)
        await self._as_user(services.message_edit, message_id=message_id, body=body)

    async def on_delete(self, frame: dict[str, Any]) -> None:
        message_id = frames.uuid(frame, "message")
        await self._as_user(services.message_delete, message_id=message_id)

    async def on_reaction(self, frame: dict[str, Any]) -> None:
        message_id = frames.uuid(frame, "message")
        emoji = frames.text(frame, "emoji", max_length=Reaction.EMOJI_MAX_LENGTH)
        service = services.reaction_add if frame["type"] == "reaction.add" else services.reaction_remove
        await self._as_user(service, message_id=message_id, emoji=emoji)

    async def on_pin(self, frame: dict[str, Any]) -> None:
        message_id = frames.uuid(frame, "message")
        service = services.message_pin if frame["type"] == "message.pin" else services.message_unpin
        await self._as_user(service, message_id=message_id)

    async def on_typing(self, frame: dict[str, Any]) -> None:
        conversation_id = frames.integer(frame, "conversation")
        state = frames.choice(frame, "state", ("start", "stop"))
        self._require_member(conversation_id)
        payload = events.typing(conversation_id=conversation_id, user_id=self.user_id, state=state)
        await fanout.to_conversation(conversation_id, payload, exclude_user=self.user_id)

    async def on_read(self, frame: dict[str, Any]) -> None:
        conversation_id = frames.integer(frame, "conversation")
        seq = frames.integer(frame, "seq")
        self._require_member(conversation_id)

        def mark(*, user: User) -> None:
            membership = selectors.membership_get(user=user, conversation_id=conversation_id)
            services.read_mark(membership=membership, seq=seq)

        await self._as_user(mark)

    async def on_sync(self, frame: dict[str, Any]) -> None:
        """Replay every event after each cursor, at most a page (REPLAY_PAGE) per frame in all; `more` asks
        the client for another sync (docs/protocol.md, "Resume")."""
        since = frames.seq_map(frame, "since", max_items=SYNC_MAX_CONVERSATIONS)
        complete = frames.boolean(frame, "complete")
        metrics.SYNC_REPLAYS.inc()
        budget, more, cursors = REPLAY_PAGE, False, {}
        since = await self._within_the_conversations(since)
        for conversation_id, cursor in since.items():
            if conversation_id not in self.conversations:
                continue  # not a member: ignored, exactly like an unknown id
            if budget == 0:
                more = True
                continue
            page = await self.stream.replay(
                conversation_id, after_seq=self._resume_from(conversation_id, cursor), limit=budget
            )
            metrics.SYNC_REPLAYED_MESSAGES.inc(len(page.frames))
            budget -= len(page.frames)
            more = more or page.more
            cursors[str(conversation_id)] = self.stream.last_delivered(conversation_id)
        if complete:
            await self._report_memberships(set(since))
        self._push({"type": "sync.done", "conversations": cursors, "more": more})
        self.stream.end_first_sync_wait()

    async def _within_the_conversations(self, since: dict[int, int]) -> dict[int, int]:
        """The cursors, none past its conversation's newest event: one ahead of it (kept from before a
        restore, or a client's bug) would count every event up to it as delivered, and the socket would stay
        silent about the conversation until its seqs got there. Only a cursor past what this socket already
        delivered can be (rarely: it was read on another socket), so usually this costs nothing."""
        ahead = [
            cid
            for cid, cursor in since.items()
            if cid in self.conversations and cursor > self.stream.last_delivered(cid)
        ]
        if not ahead:
            return since
        newest = await get_journal().last_seqs(ahead)
        return {cid: min(cursor, newest.get(cid, cursor)) for cid, cursor in since.items()}

    def _resume_from(self, conversation_id: int, cursor: int) -> int:
        """Where this socket's replay of a conversation starts: the client's cursor the first time (before
        it, the socket only has its baseline from connecting); after that never back past what the socket
        already sent, which the client may not have read yet."""
        if self.synced is None:
            self.synced = set()
        if conversation_id not in self.synced:
            self.synced.add(conversation_id)
            self.stream.start_after(conversation_id, cursor)
            return cursor
        resume_from = max(cursor, self.stream.last_delivered(conversation_id))
        self.stream.start_after(conversation_id, resume_from)
        return resume_from

    async def _report_memberships(self, known: set[int]) -> None:
        """For a client that listed every conversation it knows: the ones joined and left while it was
        away. A conversation left is named by its id only (the client may have made it up)."""
        joined = await database_sync_to_async(selectors.conversations_by_id)(ids=self.conversations - known)
        for conversation in joined:
            self._push(events.membership_report(conversation=conversation, user_id=self.user_id, added=True))
        for conversation_id in sorted(known - self.conversations):
            self._push(events.membership_left_report(conversation_id=conversation_id, user_id=self.user_id))

    async def on_activity(self, frame: dict[str, Any]) -> None:
        """The page reports whether it is visible and focused, and how long since its user's last input: the
        socket is *looking* when all three say so, and only a looking socket makes its user present (no web
        push) and `online` to others (docs/protocol.md, "Presence"). One Redis round trip, and only when
        looking changes."""
        visible = frames.flag(frame, "visible")
        focused = frames.flag(frame, "focused")
        idle_seconds = frames.integer(frame, "idle_seconds", maximum=ACTIVITY_MAX_IDLE_SECONDS)
        looking = visible and focused and idle_seconds < settings.PRESENCE_IDLE_SECONDS
        if looking == self.looking:
            return
        self.looking = looking
        heartbeat().set_looking(self.connection_id, looking)
        await self._change_presence(presence_store().set_looking, self.user_id, self.connection_id, looking)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        self._push({"type": "pong"})

    # --- broadcasts from the hub: handed over synchronously, in publish order; nothing here waits

    def on_broadcast(self, broadcast: Broadcast) -> None:
        if broadcast.kind is BroadcastKind.EVENT:
            self._on_event(broadcast)
        elif broadcast.kind is BroadcastKind.SKIP and broadcast.conversation in self.conversations:
            self.stream.deliver(broadcast.conversation, broadcast.seq or 0, None)
        elif broadcast.kind is BroadcastKind.MEMBERSHIP:
            # Following a channel waits for the hub's reader, which is calling us now: not inline.
            self.stream.in_background(self._change_membership, broadcast)
        elif broadcast.kind is BroadcastKind.CLOSE and broadcast.session in ("", self.scope.get("session")):
            self.stream.in_background(self.close, broadcast.code)
        elif broadcast.kind is BroadcastKind.ACCOUNT:
            self.stream.in_background(self._reload_account)

    async def on_hub_reconnected(self) -> None:
        """Broadcasts may have been lost while the hub was reconnecting: catch up as a `sync` would. More than
        a page behind, or with the journal failing (Redis failing over still), the client is better placed to
        do it: it is told to reconnect and sync, not left behind until its next broadcast shows a gap."""
        if self.stream.waiting_for_first_sync:
            return  # the client's first sync will replay everything
        try:
            caught_up = await self._catch_up()
        except Exception:  # whatever failed, this socket may miss messages: its client's sync will not
            logger.warning("catch-up after a pub/sub reconnect failed: closing for a sync", exc_info=True)
            caught_up = False
        if not caught_up:
            await self.close(code=close_codes.SERVICE_RESTART)

    async def _catch_up(self) -> bool:
        """Replay what the journal holds past what this socket delivered; False if a page was not enough."""
        for conversation_id in list(self.conversations):
            after_seq = self.stream.last_delivered(conversation_id)
            if (await self.stream.replay(conversation_id, after_seq=after_seq)).more:
                return False
        return True

    def _on_event(self, broadcast: Broadcast) -> None:
        conversation_id = broadcast.conversation
        if not conversation_id:  # one on this user's own channel (fanout.to_user): their own settings
            self.stream.send(broadcast.out)
            return
        if conversation_id not in self.conversations or broadcast.exclude_user == self.user_id:
            return
        if broadcast.seq is None:
            self.stream.send(broadcast.out)
        else:
            self.stream.deliver(conversation_id, broadcast.seq, broadcast.out)

    async def _change_membership(self, broadcast: Broadcast) -> None:
        conversation_id = broadcast.conversation
        if broadcast.added and conversation_id not in self.conversations:
            self.conversations.add(conversation_id)
            await self.hub.follow([fanout.conversation_channel(conversation_id)], self)
            await self._start_after_baselines([conversation_id])
        elif not broadcast.added and conversation_id in self.conversations:
            self.conversations.discard(conversation_id)
            self.stream.forget(conversation_id)
            await self.hub.unfollow([fanout.conversation_channel(conversation_id)], self)
        self.stream.send(broadcast.out)

    # --- helpers

    def _as_user(self, service: Callable[..., T], /, **arguments: Any) -> Awaitable[T]:
        """`service(user=…, **arguments)` in the database thread, as this socket's user, loaded there."""

        def run() -> T:
            return service(user=User.objects.get(pk=self.user_id), **arguments)

        return database_sync_to_async(run)()

    def _for_this_reader(self, frame: frames.OutFrame) -> frames.OutFrame:
        """A forward links back only for a member of the original's conversation (docs/protocol.md); every
        other frame goes on as the one shared, encoded-once frame."""
        if events.FORWARD_MARK not in frame.text:  # checked here first: this runs for every delivery
            return frame
        text = events.frame_for_reader(frame.text, may_see=self.conversations.__contains__)
        return frame if text is frame.text else frames.OutFrame(text)

    def _push(self, frame: dict[str, Any]) -> None:
        """A frame of this socket's own (ack, error, pong, sync.done), after everything queued before it."""
        self.stream.send(frames.OutFrame(frames.to_json(frame)))

    async def _send_text(self, text: str) -> None:
        """The socket's writer (realtime.outbox) sends through here, one frame at a time."""
        await self.send(text_data=text)

    def _too_slow(self, reason: str) -> None:
        """The client fell too far behind (realtime.outbox): close it; it reconnects and syncs."""
        metrics.SLOW_SOCKET_CLOSES.labels(reason).inc()
        logger.warning("closing a socket that fell behind", extra={"reason": reason})
        self.stream.in_background(self._close_too_slow)

    async def _close_too_slow(self) -> None:
        """Ask the server to close with 4408; a client too far behind to read even that is dropped once
        CLOSE_GRACE_SECONDS have passed (it sees 1006), which frees what the server still buffers for it."""
        transport = transport_of(self.base_send)
        if transport is not None:
            asyncio.get_running_loop().call_later(close_codes.CLOSE_GRACE_SECONDS, transport.abort)
        with contextlib.suppress(OSError):  # dropped before the close frame could be queued
            await self.close(code=close_codes.TOO_SLOW)

    async def _reload_account(self) -> None:
        """The user's account changed (an `account` broadcast): load what the socket keeps of it again."""
        (self.may_post, self.blocked_conversations), self.sender = await self._as_user(_reloaded_account)
        self._push(events.account_changed(may_post=self.may_post))

    def _channels(self) -> list[str]:
        return [fanout.user_channel(self.user_id)] + [
            fanout.conversation_channel(conversation_id) for conversation_id in self.conversations
        ]

    async def _start_after_baselines(self, conversation_ids: list[int]) -> None:
        for conversation_id, seq in (await get_journal().last_seqs(conversation_ids)).items():
            self.stream.start_after(conversation_id, seq)

    async def _change_presence(
        self, transition: Callable[..., StatusChange], *args: Any
    ) -> StatusChange | None:
        """Record a change of this socket's presence (one Redis round trip) and announce what it changed.
        Redis failing or slow (restarting, a socket timeout) costs the socket nothing: the worker's heartbeat
        writes the entry again within HEARTBEAT_SECONDS, or it expires (None: nothing is known)."""
        try:
            change = await sync_to_async(transition, thread_sensitive=False)(*args)
        except (RedisError, OSError):
            logger.warning("presence not updated (%s)", transition.__name__)
            return None
        await self._announce_presence(change)
        return change

    async def _announce_presence(self, change: StatusChange) -> None:
        """Tell the user's conversations when their status (online, idle, offline) changed."""
        if not change.changed:
            return
        payload = events.presence(user_id=self.user_id, status=change.after)
        for conversation_id in self.conversations:
            await fanout.to_conversation(conversation_id, payload, exclude_user=self.user_id)


HANDLERS: dict[str, Handler] = {
    "message.send": ChatConsumer.on_send,
    "message.edit": ChatConsumer.on_edit,
    "message.delete": ChatConsumer.on_delete,
    "reaction.add": ChatConsumer.on_reaction,
    "reaction.remove": ChatConsumer.on_reaction,
    "message.forward": ChatConsumer.on_forward,
    "message.pin": ChatConsumer.on_pin,
    "message.unpin": ChatConsumer.on_pin,
    "typing": ChatConsumer.on_typing,
    "read": ChatConsumer.on_read,
    "sync": ChatConsumer.on_sync,
    "activity": ChatConsumer.on_activity,
    "ping": ChatConsumer.on_ping,
}


def _account_state(*, user: User) -> tuple[bool, frozenset[int]]:
    """What a socket's sends check without a query: may the user post, and which direct conversations a
    block stops."""
    blocked = selectors.direct_conversation_ids_blocked(user_id=user.pk)
    return account_selectors.user_may_post(user), frozenset(blocked) if blocked else NO_CONVERSATIONS


def _reloaded_account(*, user: User) -> tuple[tuple[bool, frozenset[int]], events.SenderPayload]:
    """What a socket keeps of its account, loaded again: its account state, and the name its sends carry."""
    return _account_state(user=user), events.sender_payload(user)


def _starting_state(user: User) -> tuple[list[int], tuple[bool, frozenset[int]]]:
    """A new socket's conversations and account state, in one trip to the database thread, of the user its
    token was checked against a moment before (not loaded again)."""
    return selectors.conversation_ids_for_user(user_id=user.pk), _account_state(user=user)
