"""Celery's side of docs/operations.md: the worker logs through Django's LOGGING (JSON lines), tasks carry
the trace of the send they belong to in their headers, and a worker with CELERY_METRICS_PORT serves its
metrics. Imported by chatproject.celery; everything Django-dependent is imported inside the handlers."""

import logging.config
import os
from typing import Any

from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Connected, this stops Celery from installing its own (plain text) root handler. Django's set-up
    usually applied LOGGING already; it is applied here only if not (no handler has our filter yet)."""
    from django.conf import settings

    from chatproject.logcontext import ContextFilter

    root = logging.getLogger()
    if not any(isinstance(f, ContextFilter) for handler in root.handlers for f in handler.filters):
        logging.config.dictConfig(settings.LOGGING)


@before_task_publish.connect
def carry_trace(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    from chatproject import logcontext

    if headers is not None:
        logcontext.add_to_task_headers(headers)


@task_prerun.connect
def bind_task_context(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    from chatproject import logcontext

    if task_id and task is not None:
        logcontext.task_started(task_id, task)


@task_postrun.connect
def unbind_task_context(task_id: str | None = None, **kwargs: Any) -> None:
    from chatproject import logcontext

    if task_id:
        logcontext.task_finished(task_id)


@worker_init.connect
def start_metrics_exporter(**kwargs: Any) -> None:
    from django.conf import settings

    if settings.CELERY_METRICS_PORT:
        from chatproject import monitoring

        monitoring.start_celery_exporter(
            address=settings.CELERY_METRICS_ADDRESS, port=settings.CELERY_METRICS_PORT
        )


@worker_process_shutdown.connect
def forget_pool_process(pid: int | None = None, **kwargs: Any) -> None:
    from chatproject import monitoring

    monitoring.mark_process_dead(pid or os.getpid())
