"""Every write of notifications: subscriptions, preferences, and the push decision and delivery."""

import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from core import logcontext
from core.db import insert_new
from messaging.models import Conversation, Membership, Mention, Message, ThreadFollow
from notifications.events import message_payload, notification_preferences_updated
from notifications.models import (
    NotificationLevel,
    NotificationPreferences,
    PushDecision,
    PushDelivery,
    PushSubscription,
)
from notifications.selectors import push_subscribed_memberships, push_subscription_get_for_user
from notifications.validators import validate_auth, validate_endpoint, validate_p256dh
from notifications.webpush import send_push
from realtime import fanout
from realtime.presence import looking_user_ids

logger = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS_PER_USER = 20


# --- Subscriptions and preferences


@transaction.atomic
def push_subscription_register(
    *, user: User, endpoint: str, p256dh: str, auth: str, device_name: str = ""
) -> tuple[PushSubscription, bool]:
    """Bind a browser's subscription to `user`; True when it is new to them. An endpoint registered
    by someone else moves to `user` as a new subscription, dropping whatever was queued for the other."""
    validate_endpoint(endpoint)
    validate_p256dh(p256dh)
    validate_auth(auth)
    subscription = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
    if subscription is not None and subscription.user_id != user.pk:
        subscription.delete()
        subscription = None
    created = subscription is None
    subscription = subscription or PushSubscription(user=user, endpoint=endpoint)
    subscription.p256dh, subscription.auth, subscription.device_name = p256dh, auth, device_name.strip()
    subscription.full_clean(validate_unique=False)
    subscription.save()
    stale = PushSubscription.objects.filter(user=user).order_by("-updated_at", "-pk")[
        MAX_SUBSCRIPTIONS_PER_USER:
    ]
    PushSubscription.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return subscription, created


def push_subscription_delete(*, user: User, subscription_id: int) -> None:
    push_subscription_get_for_user(user=user, subscription_id=subscription_id).delete()


def push_data_erase(*, user: User) -> None:
    """A person is erased: their browsers' subscriptions, their preferences, and the pushes of their messages
    (each delivery's payload names the sender)."""
    PushSubscription.objects.filter(user=user).delete()
    NotificationPreferences.objects.filter(user=user).delete()
    PushDelivery.objects.filter(message__sender=user).delete()


def push_deliveries_drop(*, message_id: UUID) -> None:
    """A message was deleted: its deliveries go, pending (retries included) or done, as their payloads hold
    its words. One being sent right now finishes; a delivery made meanwhile by a decision that read the
    message before its deletion is dropped when its task runs (`push_delivery_send`)."""
    PushDelivery.objects.filter(message_id=message_id).delete()


@transaction.atomic
def notification_preferences_update(*, user: User, **levels: str) -> NotificationPreferences:
    """Set the person's level per kind of conversation; their other devices hear of a change at once."""
    preferences = NotificationPreferences.objects.filter(user=user).first() or NotificationPreferences(
        user=user
    )
    before = notification_preferences_updated(preferences)
    for kind, level in levels.items():
        if kind not in Conversation.Kind.values:
            raise TypeError(f"unknown conversation kind {kind!r}")
        setattr(preferences, kind, level)
    preferences.full_clean(validate_unique=False)
    preferences.save()
    after = notification_preferences_updated(preferences)
    if after != before:
        fanout.after_commit(fanout.to_user, user.pk, after)
    return preferences


# --- Deciding who is pushed a message


def push_schedule_for_messages(message_ids: Collection[UUID]) -> None:
    """Called by the persistence path once a batch of messages is committed: decide their pushes after the
    delay, in one task. Best effort: a failure here is logged and never fails the caller, since the messages
    are stored."""
    from notifications.tasks import send_messages_push_task

    ids = sorted(str(message_id) for message_id in message_ids)
    # The task's headers carry the trace of the send of each message (core.logcontext).
    traces = {message_id: trace for message_id in ids if (trace := logcontext.trace_for(message_id))}
    try:
        send_messages_push_task.apply_async(
            args=(ids,),
            countdown=settings.PUSH_DELAY_SECONDS,
            headers={logcontext.TRACES_HEADER: traces},  # type: ignore[dict-item]  # any JSON, not just str
        )
    except Exception:
        logger.exception("push for messages %s not scheduled", ids)


@dataclass(frozen=True)
class _Member:
    user_id: int
    last_read_seq: int
    level: str  # their level in this conversation (Membership.NotificationLevel), maybe "default"


def _members_with_subscriptions(messages: list[Message]) -> dict[int, list[_Member]]:
    """{conversation id: its active members, not at level none there, with at least one subscription}, in
    one query."""
    rows = (
        push_subscribed_memberships(conversation_ids={message.conversation_id for message in messages})
        .values_list("conversation_id", "user_id", "last_read_seq", "notification_level")
        .distinct()
    )
    members: dict[int, list[_Member]] = defaultdict(list)
    for conversation_id, user_id, last_read_seq, level in rows:
        members[conversation_id].append(_Member(user_id, last_read_seq, level))
    return members


def _mentioned(messages: list[Message]) -> dict[UUID, set[int]]:
    """{message id: the users it mentions (Mention rows: by name, @all, @here)}, in one query; none for a
    batch whose bodies mention nobody."""
    mentioned: dict[UUID, set[int]] = defaultdict(set)
    ids = [m.pk for m in messages if m.mentions or m.mentions_here or m.mentions_all]
    if ids:
        for message_id, user_id in Mention.objects.filter(message_id__in=ids).values_list(
            "message_id", "user_id"
        ):
            mentioned[message_id].add(user_id)
    return mentioned


def _chosen(
    message: Message,
    members: list[_Member],
    preferences: dict[int, NotificationPreferences],
    mentioned: set[int],
    followers: dict[int, int] | None = None,
) -> dict[int, bool]:
    """{user id: mentioned?} of the members whose level asks for this message, not yet read, but the sender.
    The level is the member's own in this conversation, or (`default`) their preference for its kind. A
    reply in a thread (`followers`: its thread's followers and their thread read markers) is for the
    thread's followers, unless their level is none, and for others only if it mentions them."""
    kind = message.conversation.kind
    chosen: dict[int, bool] = {}
    for member in members:
        last_read = member.last_read_seq if followers is None else followers.get(member.user_id, 0)
        if member.user_id == message.sender_id or last_read >= message.seq:
            continue
        level = member.level
        if level == Membership.NotificationLevel.DEFAULT:
            level = preferences.get(member.user_id, NotificationPreferences()).level_for(kind)
        is_mentioned = member.user_id in mentioned
        if followers is not None and member.user_id in followers and level != NotificationLevel.NONE:
            chosen[member.user_id] = is_mentioned
        elif level == NotificationLevel.ALL and followers is None:
            chosen[member.user_id] = is_mentioned
        elif level != NotificationLevel.NONE and is_mentioned:
            chosen[member.user_id] = is_mentioned
    return chosen


def _thread_followers(messages: list[Message]) -> dict[UUID, dict[int, int]]:
    """{root id: {follower: their thread read marker}} of the threads these messages reply in (one query, none
    for a batch without replies in threads)."""
    roots = {message.thread_root_id for message in messages if message.thread_root_id is not None}
    followers: dict[UUID, dict[int, int]] = {root: {} for root in roots}
    if roots:
        rows = ThreadFollow.objects.filter(root_id__in=roots, following=True)
        for root_id, user_id, last_read_seq in rows.values_list("root_id", "user_id", "last_read_seq"):
            followers[root_id][user_id] = last_read_seq
    return followers


def _recipients(messages: list[Message]) -> dict[UUID, dict[int, bool]]:
    """{message id: {user id: mentioned?}} of the members to push each message: not the sender, not
    already read, allowed by their level (the conversation's own, else their preference for its kind; for a
    reply in a thread: following the thread), and away: no socket of theirs looking, anywhere (present
    means looking: realtime.presence). Two queries (one more with replies in threads, one more with
    mentions) and one Redis round trip, whatever the number of messages and members."""
    members = _members_with_subscriptions(messages)
    user_ids = {member.user_id for conversation in members.values() for member in conversation}
    preferences = {p.user_id: p for p in NotificationPreferences.objects.filter(user_id__in=user_ids)}
    followers = _thread_followers(messages)
    mentioned = _mentioned(messages) if user_ids else {}
    chosen = {
        m.pk: _chosen(
            m,
            members.get(m.conversation_id, []),
            preferences,
            mentioned.get(m.pk, set()),
            followers[m.thread_root_id] if m.thread_root_id is not None else None,
        )
        for m in messages
    }
    wanted = set().union(*chosen.values())
    present = looking_user_ids(wanted) if wanted else set()
    return {
        pk: {u: is_mentioned for u, is_mentioned in users.items() if u not in present}
        for pk, users in chosen.items()
    }


def _create_deliveries(messages: list[Message]) -> None:
    """One PushDelivery per (message, subscription of a recipient), holding the message's payload."""
    recipients = _recipients(messages)
    user_ids = set().union(*recipients.values())
    if not user_ids:
        return
    subscriptions = list(PushSubscription.objects.filter(user_id__in=user_ids).values_list("pk", "user_id"))
    deliveries = []
    for message in messages:
        payload = message_payload(message)
        direct = message.conversation.kind == Conversation.Kind.DIRECT
        deliveries += [
            PushDelivery(
                message=message,
                subscription_id=subscription_id,
                payload=payload,
                urgency="high" if direct or recipients[message.pk][user_id] else "normal",
            )
            for subscription_id, user_id in subscriptions
            if user_id in recipients[message.pk]
        ]
    PushDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)


def messages_push_decide(*, message_ids: Collection[UUID]) -> dict[UUID, list[int]]:
    """Decide, once per message however often this runs, which subscriptions get a push of each message of a
    stored batch; return the deliveries still to send, by message. A second run finds the decisions made
    and only hands back what is pending, which `push_delivery_send` sends at most once. The same handful of
    queries for a batch of one message or of hundreds."""
    with transaction.atomic():
        messages = sorted(
            Message.objects.select_related("conversation", "sender").filter(pk__in=message_ids),
            key=lambda message: message.pk,
        )
        # Concurrent runs serialise on each decision row's primary key (inserted in one order, so they cannot
        # deadlock); only the run that inserts it decides.
        decided = set(insert_new([PushDecision(message=message) for message in messages]))
        _create_deliveries([m for m in messages if m.pk in decided and not m.is_deleted])
    pending = PushDelivery.objects.filter(message_id__in=message_ids, status=PushDelivery.Status.PENDING)
    deliveries: dict[UUID, list[int]] = defaultdict(list)
    for message_id, delivery_id in pending.order_by("pk").values_list("message_id", "pk"):
        deliveries[message_id].append(delivery_id)
    return deliveries


# --- Delivering one push


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    GONE = "gone"  # the subscription was removed
    FAILED = "failed"  # refused for good
    RETRY = "retry"  # 429, 5xx or no answer: try again later
    BUSY = "busy"  # another worker is sending it right now
    DONE = "done"  # nothing to do: already sent, failed, or its subscription is gone


@dataclass(frozen=True)
class DeliveryAttempt:
    outcome: DeliveryOutcome
    attempts: int = 0  # how many times this delivery has been tried, this one included
    retry_after: int | None = None


def claim_lease() -> timedelta:
    return timedelta(seconds=max(60.0, 3 * settings.PUSH_REQUEST_TIMEOUT_SECONDS))


def _delivery_claim(delivery_id: int) -> PushDelivery | None:
    """Take a pending delivery (or one whose sender vanished mid-send) for this worker alone."""
    now = timezone.now()
    claimable = Q(status=PushDelivery.Status.PENDING) | Q(
        status=PushDelivery.Status.SENDING, claimed_at__lt=now - claim_lease()
    )
    claimed = PushDelivery.objects.filter(claimable, pk=delivery_id).update(
        status=PushDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return PushDelivery.objects.select_related("subscription", "message").get(pk=delivery_id)


def _delivery_set_status(delivery: PushDelivery, status: str) -> None:
    sent_at = timezone.now() if status == PushDelivery.Status.SENT else None
    PushDelivery.objects.filter(pk=delivery.pk).update(status=status, sent_at=sent_at)


def push_delivery_send(*, delivery_id: int) -> DeliveryAttempt:
    delivery = _delivery_claim(delivery_id)
    if delivery is None:
        busy = PushDelivery.objects.filter(pk=delivery_id, status=PushDelivery.Status.SENDING).exists()
        return DeliveryAttempt(DeliveryOutcome.BUSY if busy else DeliveryOutcome.DONE)
    if delivery.message.is_deleted:  # deleted after its decision read it: never sent, not kept
        push_deliveries_drop(message_id=delivery.message_id)
        return DeliveryAttempt(DeliveryOutcome.DONE)
    result = send_push(delivery.subscription, delivery.payload, urgency=delivery.urgency)
    if result.delivered:
        _delivery_set_status(delivery, PushDelivery.Status.SENT)
        return DeliveryAttempt(DeliveryOutcome.SENT)
    if result.gone:
        logger.info("push subscription %s is gone (%s): removed", delivery.subscription_id, result.status)
        PushSubscription.objects.filter(pk=delivery.subscription_id).delete()
        return DeliveryAttempt(DeliveryOutcome.GONE)
    if result.retryable:
        _delivery_set_status(delivery, PushDelivery.Status.PENDING)
        return DeliveryAttempt(DeliveryOutcome.RETRY, delivery.attempts, result.retry_after)
    logger.warning("push to subscription %s refused (%s)", delivery.subscription_id, result.status)
    _delivery_set_status(delivery, PushDelivery.Status.FAILED)
    return DeliveryAttempt(DeliveryOutcome.FAILED)


def push_delivery_give_up(*, delivery_id: int) -> None:
    """After the last retry: a pending delivery is failed for good."""
    PushDelivery.objects.filter(pk=delivery_id, status=PushDelivery.Status.PENDING).update(
        status=PushDelivery.Status.FAILED
    )
