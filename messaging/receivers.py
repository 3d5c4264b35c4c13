"""What messaging does when accounts tells it something (accounts.signals): accounts sits below messaging and
never calls it directly."""

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from accounts.services import ExportArchive
from accounts.signals import user_data_export, user_erasing, user_profile_changed
from messaging import events, selectors
from messaging.services.privacy import messages_for_export, user_messages_erase
from realtime import fanout


@receiver(user_data_export)
def export_messages(sender: Any, user: User, archive: ExportArchive, **kwargs: Any) -> None:
    archive.add_json("messages.json", messages_for_export(user=user))
    archive.section_done()


@receiver(user_erasing)
def erase_messages(sender: Any, user: User, **kwargs: Any) -> None:
    user_messages_erase(user=user)


@receiver(user_profile_changed)
def announce_profile(sender: Any, user: User, **kwargs: Any) -> None:
    """The people who share a conversation with the user see their new name at once (docs/protocol.md)."""
    conversation_ids = selectors.conversation_ids_for_user(user_id=user.pk)
    fanout.after_commit(fanout.to_each_conversation, conversation_ids, events.user_updated(user))
