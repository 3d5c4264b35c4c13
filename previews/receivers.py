"""What previews does when messaging tells it something (messaging.signals)."""

import logging
import threading
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connections, transaction
from django.dispatch import receiver

from messaging.events import MessagePayload
from messaging.signals import message_edited, messages_stored
from previews.tasks import unfurl_message_task
from previews.urls import urls_in

logger = logging.getLogger(__name__)


@receiver(messages_stored)
def unfurl_links(sender: Any, messages: list[MessagePayload], **kwargs: Any) -> None:
    """One task per newly stored message with a URL in it, queued once the messages are committed."""
    if not settings.PREVIEWS_ENABLED:
        return
    for message in messages:
        if urls_in(message["body"]):
            transaction.on_commit(partial(_queue, message["id"]))


@receiver(message_edited)
def unfurl_edited_links(sender: Any, message_id: UUID, body: str, **kwargs: Any) -> None:
    """An edit may bring new links: unfurl the message again (the links it kept come from the cache)."""
    if settings.PREVIEWS_ENABLED and urls_in(body):
        transaction.on_commit(partial(_queue, str(message_id)))


def _queue(message_id: str) -> None:
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        unfurl_message_task.delay(message_id)
        return
    # Embedded mode: Celery would run the task in place, holding up the send — and every database call of
    # the process, which share one thread — for as long as the site takes to answer. It runs beside instead.
    threading.Thread(target=_unfurl_beside, args=(message_id,), name="link-preview", daemon=True).start()


def _unfurl_beside(message_id: str) -> None:
    try:
        unfurl_message_task(message_id)
    except Exception:
        logger.exception("link preview failed", extra={"message_id": message_id})
    finally:
        connections.close_all()
