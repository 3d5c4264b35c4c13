"""The Celery application. Configuration lives in Django settings under the CELERY_ prefix."""

import os
from typing import Any

from celery import Celery
from celery.concurrency import get_implementation
from celery.signals import (
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
)
from kombu import Queue

from core import celery_signals  # noqa: F401  (JSON logs, trace headers)
from core.gc_tuning import tune_garbage_collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings.base")

app = Celery("chatproject")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def declare_what_workers_rely_on(**kwargs: Any) -> None:
    """Declared by every worker before it consumes, whatever queues it consumes itself (the persistence queue
    has workers of its own, docs/operations.md):
    - the dead-letter queue, which must exist before the first rejection but which no worker may consume, so
      it is not in CELERY_TASK_QUEUES;
    - every task queue: each worker binds them all to Celery's delayed-delivery exchanges (quorum queues'
      countdowns), those it does not consume too, and a worker started before a queue's consumer had
      declared it would log that delayed delivery is unavailable."""
    from django.conf import settings

    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in [Queue(settings.CELERY_DEAD_LETTER_QUEUE, durable=True), *app.amqp.queues.values()]:
            queue.bind(channel).declare()


@worker_process_init.connect
def tune_pool_process(**kwargs: Any) -> None:
    """Each prefork pool process, once forked: fewer, cheaper collections (core.gc_tuning)."""
    tune_garbage_collector()


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(task: Any = None, **kwargs: Any) -> None:
    """Give each task what Django gives each request: a connection kept for CONN_MAX_AGE, dropped when it
    broke or is too old, and pinged first when CONN_HEALTH_CHECKS is on. Celery's Django fixup instead closes
    every connection around every task (a new PostgreSQL connection per task) unless CELERY_DB_REUSE_MAX is
    set, which leaves these rules to this handler. Eager tasks run inside the caller's request or transaction:
    left alone."""
    from django.db import close_old_connections

    if task is not None and not task.request.is_eager:
        close_old_connections()


@worker_init.connect
def start_metrics_exporter(sender: Any = None, **kwargs: Any) -> None:
    from django.conf import settings

    if settings.CELERY_METRICS_PORT:
        # Imported here, not in web workers: it loads billiard's pool.
        from celery.concurrency.prefork import TaskPool as PreforkPool

        from operations import monitoring

        monitoring.start_celery_exporter(
            address=settings.CELERY_METRICS_ADDRESS,
            port=settings.CELERY_METRICS_PORT,
            pool_forks=issubclass(get_implementation(sender.pool_cls), PreforkPool),
        )


@worker_process_shutdown.connect
def forget_pool_process(pid: int | None = None, **kwargs: Any) -> None:
    from operations import monitoring

    monitoring.mark_process_dead(pid or os.getpid())
