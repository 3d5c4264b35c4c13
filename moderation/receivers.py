"""What moderation does when accounts erases a person (accounts.signals.user_erasing): nothing it keeps names
them afterwards."""

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from accounts.signals import user_erasing
from moderation.services import moderation_data_erase


@receiver(user_erasing)
def erase_moderation_data(sender: Any, user: User, **kwargs: Any) -> None:
    moderation_data_erase(user=user)
