"""`manage.py convert_queues`: declare the task queues as configured (RABBITMQ_QUEUE_TYPE), converting any
declared earlier with the other type, the messages waiting in it kept (core.queues.convert)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kombu.exceptions import OperationalError

from core.queues import convert
from operations.broker import broker_address, broker_connection


class Command(BaseCommand):
    help = (
        "Declare the task queues as configured, converting classic ones to quorum (or back), messages kept."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write("no broker (embedded mode): nothing to convert")
            return
        try:
            connection = broker_connection()
        except OperationalError as error:
            raise CommandError(
                f"cannot reach the broker at {broker_address()} (CELERY_BROKER_URL): {error}"
            ) from error
        with connection:
            for queue in settings.CELERY_TASK_QUEUES:
                moved = convert(connection, queue)
                self.stdout.write(f"{queue.name}: {_type(queue)} ({moved} messages moved)")


def _type(queue: Any) -> str:
    return str((queue.queue_arguments or {}).get("x-queue-type", "classic"))
