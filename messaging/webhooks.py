"""Incoming webhooks: the writes (create, rotate, revoke, post) and reads, each behind the conversation's
membership gate. A webhook posts as a bot of its own, owned by the member who made it, through the same
durable send path as sockets and the REST API (messaging.delivery.send)."""

from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts import tokens
from accounts.models import User
from messaging import events, selectors, services
from messaging.delivery.send import message_send
from messaging.models import Conversation, Membership, Webhook

WEBHOOKS_MAX_PER_CONVERSATION = 20


def _secret_for(webhook: Webhook) -> str:
    secret = tokens.new_secret()
    webhook.secret_hash = tokens.hash_secret(secret)
    return tokens.format_token(tokens.WEBHOOK_PREFIX, webhook.pk, secret)


# --- reads


def webhook_list_for_user(*, user: User, conversation_id: int) -> QuerySet[Webhook]:
    selectors.membership_get(user=user, conversation_id=conversation_id)
    return (
        Webhook.objects.filter(conversation_id=conversation_id, revoked_at__isnull=True)
        .select_related("bot", "created_by")
        .order_by("created_at", "pk")
    )


def webhook_get_for_manager(*, user: User, webhook_id: int) -> Webhook:
    """A webhook its creator, or an owner or admin of its conversation, may change; NotFound otherwise."""
    webhook = (
        Webhook.objects.filter(pk=webhook_id, revoked_at__isnull=True, conversation__memberships__user=user)
        .select_related("bot", "created_by")
        .first()
    )
    if webhook is None:
        raise NotFound("No such webhook.")
    if webhook.created_by_id != user.pk:
        membership = selectors.membership_get(user=user, conversation_id=webhook.conversation_id)
        if not membership.can_manage:
            raise PermissionDenied("Only its creator or the conversation's owners and admins can change it.")
    return webhook


def webhook_for_secret(*, secret: str) -> Webhook:
    """The live webhook a secret names; NotFound for a wrong, rotated or revoked one, or one whose bot has
    left the conversation. AccountSuspended when its creator is suspended."""
    parsed = tokens.parse_token(secret, prefix=tokens.WEBHOOK_PREFIX)
    webhook = (
        Webhook.objects.filter(pk=parsed[0], revoked_at__isnull=True).select_related("bot__bot_owner").first()
        if parsed
        else None
    )
    if webhook is None or parsed is None or not tokens.secret_matches(parsed[1], webhook.secret_hash):
        raise NotFound("No such webhook.")
    account_selectors.user_check_not_suspended(webhook.bot)
    bot_is_member = Membership.objects.filter(user=webhook.bot, conversation_id=webhook.conversation_id)
    if not account_selectors.user_may_act(webhook.bot) or not bot_is_member.exists():
        raise NotFound("No such webhook.")
    return webhook


# --- writes


@transaction.atomic
def webhook_create(*, user: User, conversation_id: int, name: str) -> tuple[Webhook, str]:
    """A webhook for a conversation the user is in, and its bot (a member from now on). Returns (it, its
    secret), which is shown this once."""
    conversation = selectors.conversation_get_for_user(user=user, conversation_id=conversation_id)
    if user.is_bot:
        raise PermissionDenied("A bot cannot make webhooks.")
    if conversation.kind == Conversation.Kind.DIRECT:
        raise ValidationError({"conversation": "A direct conversation cannot have webhooks."})
    live = Webhook.objects.filter(conversation=conversation, revoked_at__isnull=True)
    if live.count() >= WEBHOOKS_MAX_PER_CONVERSATION:
        raise ValidationError({"name": f"At most {WEBHOOKS_MAX_PER_CONVERSATION} webhooks per conversation."})
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A webhook needs a name."})
    bot = account_services.bot_create(
        owner=user, username=account_services.bot_username_for(name=name), display_name=name
    )
    services.channel_join(user=bot, conversation=conversation)  # a plain member; announced to the others
    webhook = Webhook(conversation=conversation, bot=bot, name=name, created_by=user)
    webhook.save()
    secret = _secret_for(webhook)
    webhook.save(update_fields=["secret_hash"])
    return webhook, secret


def webhook_rotate(*, webhook: Webhook) -> tuple[Webhook, str]:
    """A new secret; the old URL stops working at once."""
    secret = _secret_for(webhook)
    webhook.rotated_at = datetime.now(tz=UTC)
    webhook.save(update_fields=["secret_hash", "rotated_at"])
    return webhook, secret


@transaction.atomic
def webhook_revoke(*, webhook: Webhook) -> Webhook:
    """End the webhook and retire its bot; what it posted stays."""
    webhook.revoked_at = datetime.now(tz=UTC)
    webhook.save(update_fields=["revoked_at"])
    account_services.bot_deactivate(bot=webhook.bot)
    return webhook


def webhook_client_id(*, webhook: Webhook, client_id: UUID | None, idempotency_key: str | None) -> UUID:
    """The send's idempotency key: the body's `client_id`, else one derived from the `Idempotency-Key` header
    (so a redelivery by the caller is not posted twice), else a fresh one."""
    if client_id is not None:
        return client_id
    if idempotency_key:
        return uuid5(NAMESPACE_URL, f"parley:webhook:{webhook.pk}:{idempotency_key}")
    return uuid4()


def webhook_post(*, webhook: Webhook, text: str, client_id: UUID) -> dict[str, Any]:
    """Post as the webhook's bot; the same client_id again returns the same message. Raises SendError."""
    stored = selectors.message_stored_by_client_id(sender=webhook.bot, client_id=client_id)
    if stored is not None:
        return selectors.stored_message_payload(stored)
    message, _ = async_to_sync(message_send)(
        sender=events.sender_payload(webhook.bot),
        conversation_id=webhook.conversation_id,
        body=text,
        client_id=client_id,
    )
    return message
