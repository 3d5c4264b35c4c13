"""Every read of notifications."""

from collections.abc import Collection

from django.db import connection
from django.db.models import QuerySet

from accounts.models import User
from messaging.models import Membership
from notifications.models import NotificationPreferences, PushSubscription


def push_subscribed_memberships(*, conversation_ids: Collection[int]) -> QuerySet[Membership]:
    """Memberships in these conversations of active users whose level there is not `none` (muted) and who
    have at least one push subscription: everyone who could be pushed a message there (one row per
    subscription: use distinct())."""
    return Membership.objects.filter(
        conversation_id__in=conversation_ids,
        user__is_active=True,
        user__push_subscriptions__isnull=False,
    ).exclude(notification_level=Membership.NotificationLevel.NONE)


# Hand-written: the persistence task asks this of every batch, and building the joined query through the ORM
# was a third of the task's CPU (docs/benchmarks.md). The rule of push_subscribed_memberships, portable SQL.
ANYONE_PUSHABLE_SQL = """
SELECT 1 FROM {membership} m JOIN {user} u ON u.id = m.user_id
WHERE m.conversation_id IN ({ids}) AND m.notification_level <> %s AND u.is_active = %s
    AND EXISTS (SELECT 1 FROM {subscription} s WHERE s.user_id = m.user_id)
LIMIT 1
"""


def anyone_pushable_in(*, conversation_ids: Collection[int]) -> bool:
    """Whether push_subscribed_memberships(conversation_ids) has any row."""
    ids = list(conversation_ids)
    if not ids:
        return False
    sql = ANYONE_PUSHABLE_SQL.format(
        membership=Membership._meta.db_table,
        user=User._meta.db_table,
        subscription=PushSubscription._meta.db_table,
        ids=", ".join(["%s"] * len(ids)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, Membership.NotificationLevel.NONE, True])
        return cursor.fetchone() is not None


def push_subscription_list_for_user(*, user: User) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(user=user).order_by("-created_at", "-pk")


def push_subscription_get_for_user(*, user: User, subscription_id: int) -> PushSubscription:
    """The user's own subscription; someone else's raises the same DoesNotExist as a missing one."""
    return PushSubscription.objects.get(user=user, pk=subscription_id)


def notification_preferences_get_for_user(*, user: User) -> NotificationPreferences:
    """The stored preferences, or the defaults (unsaved) for a user who never changed them."""
    return NotificationPreferences.objects.filter(user=user).first() or NotificationPreferences(user=user)
