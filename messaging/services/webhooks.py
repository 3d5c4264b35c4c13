"""Incoming webhooks: create, rotate, revoke, and post through them. A webhook posts as a bot of its own,
owned by the owner or admin who made it, through the same durable send path as sockets and the REST API.
The bot has no tokens, and goes with its maker: messaging.services.conversations.member_remove."""

from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts import services as account_services
from accounts import tokens
from accounts.models import User
from core.text import visible_text
from messaging.models import Conversation, Membership, Webhook
from messaging.selectors import membership_get
from messaging.services.memberships import channel_join, lock_owners, membership_end
from messaging.services.messages import SentMessage, message_post

WEBHOOKS_MAX_PER_CONVERSATION = 20


def _secret_for(webhook: Webhook) -> str:
    secret = tokens.new_secret()
    webhook.secret_hash = tokens.hash_secret(secret)
    return tokens.format_token(tokens.WEBHOOK_PREFIX, webhook.pk, secret)


@transaction.atomic
def webhook_create(*, user: User, conversation_id: int, name: str) -> tuple[Webhook, str]:
    """A webhook for a conversation the user owns or administers, and its bot, which the user owns (a member
    until the webhook is revoked or the user leaves). Returns (it, its secret), which is shown this once."""
    membership = membership_get(user=user, conversation_id=conversation_id)
    conversation = membership.conversation
    if user.is_bot:
        raise PermissionDenied("A bot cannot make webhooks.")
    if conversation.kind == Conversation.Kind.DIRECT:
        raise ValidationError({"conversation": "A direct conversation cannot have webhooks."})
    if not membership.can_manage:
        raise PermissionDenied("Only the conversation's owners and admins can make webhooks.")
    _check_room_for_one_more(conversation)
    name = visible_text(name)
    if not name:
        raise ValidationError({"name": "A webhook needs a name."})
    bot = account_services.bot_create(
        owner=user, username=account_services.bot_username_for(name=name), display_name=name, for_webhook=True
    )
    # Counted again under the conversation's lock (after the maker's, as channel_join takes them): two made
    # at once by two admins would both count 19, and the conversation get 21.
    lock_owners(conversation)
    _check_room_for_one_more(conversation)
    channel_join(user=bot, conversation=conversation)  # a plain member; announced to the others
    webhook = Webhook(conversation=conversation, bot=bot, name=name, created_by=user)
    webhook.save()
    secret = _secret_for(webhook)
    webhook.save(update_fields=["secret_hash"])
    return webhook, secret


def _check_room_for_one_more(conversation: Conversation) -> None:
    live = Webhook.objects.filter(conversation=conversation, revoked_at__isnull=True)
    if live.count() >= WEBHOOKS_MAX_PER_CONVERSATION:
        raise ValidationError({"name": f"At most {WEBHOOKS_MAX_PER_CONVERSATION} webhooks per conversation."})


def webhook_rotate(*, webhook: Webhook) -> tuple[Webhook, str]:
    """A new secret; the old URL stops working at once."""
    secret = _secret_for(webhook)
    webhook.rotated_at = datetime.now(tz=UTC)
    webhook.save(update_fields=["secret_hash", "rotated_at"])
    return webhook, secret


@transaction.atomic
def webhook_revoke(*, webhook: Webhook) -> Webhook:
    """End the webhook, retire its bot and take it out of the conversation (the members are told); what it
    posted stays."""
    webhook.revoked_at = datetime.now(tz=UTC)
    webhook.save(update_fields=["revoked_at"])
    account_services.bot_deactivate(bot=webhook.bot)
    bot_membership = (
        Membership.objects.filter(conversation_id=webhook.conversation_id, user_id=webhook.bot_id)
        .select_related("conversation")
        .first()
    )
    if bot_membership is not None:  # unless removed by a member already
        membership_end(membership=bot_membership)
    return webhook


def webhook_client_id(*, webhook: Webhook, client_id: UUID | None, idempotency_key: str | None) -> UUID:
    """The send's idempotency key: the body's `client_id`, else one derived from the `Idempotency-Key` header
    (so a redelivery by the caller is not posted twice), else a fresh one."""
    if client_id is not None:
        return client_id
    if idempotency_key:
        return uuid5(NAMESPACE_URL, f"parley:webhook:{webhook.pk}:{idempotency_key}")
    return uuid4()


def webhook_post(*, webhook: Webhook, text: str, client_id: UUID) -> SentMessage:
    """Post as the webhook's bot; the same client_id again returns the same message. Raises Refused."""
    return message_post(
        sender=webhook.bot, conversation_id=webhook.conversation_id, body=text, client_id=client_id
    )
