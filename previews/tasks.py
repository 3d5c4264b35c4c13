"""Celery entry point of link previews: the fetching happens on a worker, never on a socket or request."""

from uuid import UUID

from celery import shared_task
from django.db import OperationalError

from previews import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def unfurl_message_task(message_id: str) -> None:
    services.message_unfurl(message_id=UUID(message_id))


@shared_task
def purge_stale_link_previews_task() -> int:
    return services.link_previews_purge_stale()
