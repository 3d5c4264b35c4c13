"""The queues operators watch, and a short-lived broker connection to read or move them (passive declares:
no management plugin needed)."""

from celery import current_app
from django.conf import settings
from kombu import Connection

PERSISTENCE_QUEUE = "persistence"
PUSH_QUEUE = "push"
BROKER_TIMEOUT_SECONDS = 2


def watched_queues() -> list[str]:
    return [PERSISTENCE_QUEUE, PUSH_QUEUE, settings.CELERY_DEAD_LETTER_QUEUE]


def broker_address() -> str:
    """host:port of the broker (the first, for a list of them), without the credentials."""
    return str(current_app.connection_for_write().host)


def broker_connection() -> Connection:
    """Connected, or raising within BROKER_TIMEOUT_SECONDS."""
    connection = current_app.connection_for_write()
    connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    return connection
