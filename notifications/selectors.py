"""Every read of notifications."""

from collections.abc import Collection

from django.db.models import QuerySet

from accounts.models import User
from messaging.models import Membership
from notifications.models import NotificationPreferences, PushSubscription


def push_subscribed_memberships(*, conversation_ids: Collection[int]) -> QuerySet[Membership]:
    """Memberships in these conversations of active users who did not mute them and have at least one push
    subscription: everyone who could be pushed a message there (one row per subscription: use distinct())."""
    return Membership.objects.filter(
        conversation_id__in=conversation_ids,
        muted=False,
        user__is_active=True,
        user__push_subscriptions__isnull=False,
    )


def push_subscription_list_for_user(*, user: User) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(user=user).order_by("-created_at", "-pk")


def push_subscription_get_for_user(*, user: User, subscription_id: int) -> PushSubscription:
    """The user's own subscription; someone else's raises the same DoesNotExist as a missing one."""
    return PushSubscription.objects.get(user=user, pk=subscription_id)


def notification_preferences_get_for_user(*, user: User) -> NotificationPreferences:
    """The stored preferences, or the defaults (unsaved) for a user who never changed them."""
    return NotificationPreferences.objects.filter(user=user).first() or NotificationPreferences(user=user)
