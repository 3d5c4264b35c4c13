"""What previews does when messaging tells it something (messaging.signals)."""

from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from messaging.events import MessagePayload
from messaging.signals import messages_stored
from previews.tasks import unfurl_message_task
from previews.urls import urls_in


@receiver(messages_stored)
def unfurl_links(sender: Any, messages: list[MessagePayload], **kwargs: Any) -> None:
    """One task per newly stored message with a URL in it, queued once the messages are committed."""
    if not settings.PREVIEWS_ENABLED:
        return
    for message in messages:
        if urls_in(message["body"]):
            transaction.on_commit(partial(unfurl_message_task.delay, message["id"]))
