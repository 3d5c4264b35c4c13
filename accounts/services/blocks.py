"""Blocking: a person blocks another. What a block stops is enforced where it happens (messaging: direct
conversations, adding to groups, direct messages); here the block is kept and every socket of both people
is told to reload what it caches of it (no query per message)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Block, User
from realtime import fanout


def _tell_sockets(*users: User) -> None:
    for user in users:
        fanout.after_commit(fanout.account_changed, user.pk)


@transaction.atomic
def block_create(*, blocker: User, blocked_id: int) -> Block:
    """Block someone; blocking them again changes nothing."""
    if blocked_id == blocker.pk:
        raise ValidationError({"user": "You cannot block yourself."})
    blocked = User.objects.filter(pk=blocked_id, is_active=True).first()
    if blocked is None:
        raise ValidationError({"user": "Unknown user."})
    existing = Block.objects.filter(blocker=blocker, blocked=blocked).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            block = Block.objects.create(blocker=blocker, blocked=blocked)
    except IntegrityError:  # the same block, sent twice at once
        return Block.objects.get(blocker=blocker, blocked=blocked)
    _tell_sockets(blocker, blocked)
    return block


@transaction.atomic
def block_delete(*, block: Block) -> None:
    block.delete()
    _tell_sockets(block.blocker, block.blocked)
