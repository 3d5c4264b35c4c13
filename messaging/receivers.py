"""What messaging does when accounts tells it something (accounts.signals): accounts sits below messaging and
never calls it directly."""

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from accounts.services import ExportArchive
from accounts.signals import user_data_export, user_erasing
from messaging.services.privacy import messages_for_export, user_messages_erase


@receiver(user_data_export)
def export_messages(sender: Any, user: User, archive: ExportArchive, **kwargs: Any) -> None:
    archive.add_json("messages.json", messages_for_export(user=user))
    archive.section_done()


@receiver(user_erasing)
def erase_messages(sender: Any, user: User, **kwargs: Any) -> None:
    user_messages_erase(user=user)
