"""Every write of notifications: subscriptions, preferences, and the push decision and delivery."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from chatproject import logcontext
from messaging.models import Conversation, Membership, Message
from messaging.presence import online_user_ids
from notifications.mentions import mentioned_usernames
from notifications.models import (
    NotificationLevel,
    NotificationPreferences,
    PushDecision,
    PushDelivery,
    PushSubscription,
)
from notifications.payloads import message_payload
from notifications.selectors import push_subscription_get_for_user
from notifications.validators import validate_auth, validate_endpoint, validate_p256dh
from notifications.webpush import send_push

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


def notification_preferences_update(*, user: User, **levels: str) -> NotificationPreferences:
    preferences = NotificationPreferences.objects.filter(user=user).first() or NotificationPreferences(
        user=user
    )
    for kind, level in levels.items():
        if kind not in Conversation.Kind.values:
            raise TypeError(f"unknown conversation kind {kind!r}")
        setattr(preferences, kind, level)
    preferences.full_clean(validate_unique=False)
    preferences.save()
    return preferences


# --- Deciding who is pushed a message


def push_schedule_for_message(message_id: UUID) -> None:
    """Called by the persistence path once a message is committed: decide its pushes after the delay.
    Best effort: a failure here is logged and never fails the caller, since the message is stored."""
    from notifications.tasks import send_message_push_task

    try:
        # The task's headers carry the trace of the send that stored this message (chatproject.logcontext).
        with logcontext.bound(trace=logcontext.trace_for(str(message_id))):
            send_message_push_task.apply_async(args=(str(message_id),), countdown=settings.PUSH_DELAY_SECONDS)
    except Exception:
        logger.exception("push for message %s not scheduled", message_id)


def _recipients(message: Message) -> dict[int, bool]:
    """{user id: mentioned?} of the members to push: not the sender, not muted, not already read,
    allowed by their preference for this kind of conversation, and with no socket open anywhere."""
    members = (
        Membership.objects.filter(
            conversation_id=message.conversation_id,
            muted=False,
            last_read_seq__lt=message.seq,
            user__is_active=True,
            user__push_subscriptions__isnull=False,
        )
        .exclude(user_id=message.sender_id)
        .values_list("user_id", "user__username")
        .distinct()
    )
    usernames = dict(members)
    preferences = {p.user_id: p for p in NotificationPreferences.objects.filter(user_id__in=usernames)}
    mentioned = mentioned_usernames(message.body)
    kind = message.conversation.kind
    chosen: dict[int, bool] = {}
    for user_id, username in usernames.items():
        level = preferences.get(user_id, NotificationPreferences()).level_for(kind)
        is_mentioned = username.lower() in mentioned
        if level == NotificationLevel.ALL or (level == NotificationLevel.MENTIONS and is_mentioned):
            chosen[user_id] = is_mentioned
    online = online_user_ids(chosen) if chosen else set()
    return {user_id: m for user_id, m in chosen.items() if user_id not in online}


def _create_deliveries(message: Message) -> None:
    recipients = _recipients(message)
    if not recipients:
        return
    payload = message_payload(message)
    direct = message.conversation.kind == Conversation.Kind.DIRECT
    PushDelivery.objects.bulk_create(
        [
            PushDelivery(
                message=message,
                subscription=subscription,
                payload=payload,
                urgency="high" if direct or recipients[subscription.user_id] else "normal",
            )
            for subscription in PushSubscription.objects.filter(user_id__in=recipients)
        ],
        ignore_conflicts=True,
    )


def message_push_decide(*, message_id: UUID) -> list[int]:
    """Decide, once per message however often this runs, which subscriptions get a push; return the
    deliveries still to send. A second run finds the decision made and only hands back what is pending,
    which `push_delivery_send` sends at most once."""
    with transaction.atomic():
        message = Message.objects.select_related("conversation", "sender").filter(pk=message_id).first()
        if message is None:
            return []
        # Concurrent runs serialise on this row's primary key; only the one that creates it decides.
        _, created = PushDecision.objects.get_or_create(message=message)
        if created and not message.is_deleted:
            _create_deliveries(message)
    pending = PushDelivery.objects.filter(message_id=message_id, status=PushDelivery.Status.PENDING)
    return list(pending.order_by("pk").values_list("pk", flat=True))


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
    return PushDelivery.objects.select_related("subscription").get(pk=delivery_id) if claimed else None


def _delivery_set_status(delivery: PushDelivery, status: str) -> None:
    sent_at = timezone.now() if status == PushDelivery.Status.SENT else None
    PushDelivery.objects.filter(pk=delivery.pk).update(status=status, sent_at=sent_at)


def push_delivery_send(*, delivery_id: int) -> DeliveryAttempt:
    delivery = _delivery_claim(delivery_id)
    if delivery is None:
        busy = PushDelivery.objects.filter(pk=delivery_id, status=PushDelivery.Status.SENDING).exists()
        return DeliveryAttempt(DeliveryOutcome.BUSY if busy else DeliveryOutcome.DONE)
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
