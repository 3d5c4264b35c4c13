import pytest
from django.conf import settings
from kombu import Queue

from chatproject.celery import app as celery_app
from messaging.delivery.eventlog import initialise_counter
from tests.accounts.factories import UserFactory
from tests.messaging.factories import make_conversation


@pytest.fixture
def dead_letter_queue():
    """The dead-letter queue, empty before and after the test (no worker ever consumes it)."""

    def purge() -> None:
        with celery_app.connection_for_write() as connection:
            queue = Queue(settings.CELERY_DEAD_LETTER_QUEUE, durable=True).bind(connection.default_channel)
            queue.declare()
            queue.purge()

    purge()
    yield settings.CELERY_DEAD_LETTER_QUEUE
    purge()


@pytest.fixture
def staff(transactional_db):
    return UserFactory(username="operator", is_staff=True)


@pytest.fixture
def team(transactional_db):
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    conversation = make_conversation(ada, bob, title="Team")
    initialise_counter(conversation.pk)
    return conversation
