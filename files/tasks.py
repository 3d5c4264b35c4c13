"""Background work for files. Tasks take ids and call a service; each may safely run twice."""

from uuid import UUID

from botocore.exceptions import BotoCoreError
from celery import shared_task

from files import services


@shared_task(
    autoretry_for=(OSError, BotoCoreError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
)
def make_file_thumbnail_task(file_id: str) -> None:
    services.file_make_thumbnail(file_id=UUID(file_id))


@shared_task(acks_late=True)
def purge_stale_uploads_task() -> int:
    return services.files_purge_stale_uploads()
