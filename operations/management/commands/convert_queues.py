"""`manage.py convert_queues`: declare the task queues as configured (RABBITMQ_QUEUE_TYPE), converting any
declared earlier with the other type, the messages waiting in it kept (core.queues.convert)."""

from typing import Any

from amqp.exceptions import AccessRefused, NotAllowed
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
        except AccessRefused as error:  # the user or password of CELERY_BROKER_URL
            raise CommandError(
                f"the broker at {broker_address()} refused the user and password of CELERY_BROKER_URL: "
                f"{error.reply_text}"
            ) from error
        except NotAllowed as error:  # its path: the virtual host, missing or not open to this user
            raise CommandError(
                f"the broker at {broker_address()} refused the virtual host of CELERY_BROKER_URL "
                f"(missing, or not open to its user): {error.reply_text}"
            ) from error
        with connection:
            for queue in settings.CELERY_TASK_QUEUES:
                moved = convert(connection, queue)
                self.stdout.write(f"{queue.name}: {_type(queue)} ({moved} messages moved)")


def _type(queue: Any) -> str:
    return str((queue.queue_arguments or {}).get("x-queue-type", "classic"))
