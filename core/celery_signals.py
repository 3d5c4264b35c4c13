"""Celery's side of docs/operations.md: the worker logs through Django's LOGGING (JSON lines), and tasks carry
the trace of the send they belong to in their headers. Connected by chatproject.celery; everything
Django-dependent is imported inside the handlers (they connect before Django is set up)."""

import logging.config
from typing import Any

from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
)


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Connected, this stops Celery from installing its own (plain text) root handler. Django's set-up
    usually applied LOGGING already; it is applied here only if not (no handler has our filter yet)."""
    from django.conf import settings

    from core.logcontext import ContextFilter

    root = logging.getLogger()
    if not any(isinstance(f, ContextFilter) for handler in root.handlers for f in handler.filters):
        logging.config.dictConfig(settings.LOGGING)


@before_task_publish.connect
def carry_trace(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    from core import logcontext

    if headers is not None:
        logcontext.add_to_task_headers(headers)


@task_prerun.connect
def bind_task_context(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    from core import logcontext

    if task_id and task is not None:
        logcontext.task_started(task_id, task)


@task_postrun.connect
def unbind_task_context(task_id: str | None = None, **kwargs: Any) -> None:
    from core import logcontext

    if task_id:
        logcontext.task_finished(task_id)
