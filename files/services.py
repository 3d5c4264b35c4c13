"""Every write to files: start an upload, receive it (embedded mode), complete it, discard it, thumbnail it,
purge."""

import io
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import IO, Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from files import content, selectors
from files import storage as file_storage
from files.models import StoredFile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileUpload:
    file: StoredFile
    target: dict[str, Any]  # {url, method, fields} for a presigned POST, {url, method, headers} for a PUT


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


def _random_key(prefix: str) -> str:
    """A storage key that says nothing about the file or its owner and cannot be guessed."""
    return f"{prefix}/{secrets.token_urlsafe(24)}"


def file_upload_start(*, owner: User, name: str, size: int) -> FileUpload:
    limit = settings.FILE_UPLOAD_MAX_BYTES
    if size > limit:
        raise ValidationError({"size": f"This file is too large: files may be at most {_mib(limit)}."})
    if size < 1:
        raise ValidationError({"size": "This file is empty."})
    stored = StoredFile.objects.create(
        owner=owner, name=content.sanitize_name(name), size=size, storage_key=_random_key("uploads")
    )
    target = file_storage.backend().upload_target(
        file_id=str(stored.id), key=stored.storage_key, max_bytes=size
    )
    return FileUpload(file=stored, target=target)


def file_upload_receive(*, owner: User, file_id: UUID, stream: IO[bytes] | None, length: int | None) -> int:
    """Embedded mode: stream the body of Parley's own PUT to disk, at most the declared size."""
    stored = selectors.file_get_own(owner=owner, file_id=file_id)
    local = file_storage.backend()
    if stored.status != StoredFile.Status.PENDING or not isinstance(local, file_storage.LocalBackend):
        raise Http404
    if length is not None and length > stored.size:
        raise ValidationError({"content": "The upload is larger than the size declared."})
    if stream is None:
        raise ValidationError({"content": "The upload is empty."})
    written = local.receive(stored.storage_key, stream, max_bytes=stored.size)
    if not StoredFile.objects.filter(pk=stored.pk).exists():  # discarded while its bytes were on their way
        file_storage.delete_file(stored.storage_key)
        raise Http404
    return written


def _refuse_upload(stored: StoredFile, reason: str) -> None:
    """Remove what was uploaded and the record of it, then refuse: the client starts over."""
    file_storage.delete_file(stored.storage_key)
    stored.delete()
    raise ValidationError({"file": reason})


def file_upload_complete(*, owner: User, file_id: UUID) -> StoredFile:
    """Check the uploaded object, sniff its type and mark it ready; queue its thumbnail if it is an image.
    Completing a ready file again returns it unchanged."""
    stored = selectors.file_get_own(owner=owner, file_id=file_id)
    if stored.status == StoredFile.Status.READY:
        return stored
    backend = file_storage.backend()
    real_size = backend.size(stored.storage_key)
    if real_size is None:
        raise ValidationError({"file": "Nothing has been uploaded for this file yet."})
    if real_size > min(stored.size, settings.FILE_UPLOAD_MAX_BYTES) or real_size < 1:
        _refuse_upload(stored, "The uploaded file does not match the size declared.")
    head = backend.read_head(stored.storage_key, content.HEAD_BYTES)
    content_type = content.sniff_content_type(head)
    width, height = content.image_size(head, content_type) or (None, None)
    with transaction.atomic():
        updated = StoredFile.objects.filter(pk=stored.pk, status=StoredFile.Status.PENDING).update(
            status=StoredFile.Status.READY,
            size=real_size,
            content_type=content_type,
            width=width,
            height=height,
        )
        if updated and content.is_inline_image(content_type):
            transaction.on_commit(lambda: _queue_thumbnail(stored.pk))
    stored.refresh_from_db()
    return stored


FILE_ATTACHED = "This file is attached to a message: delete the message instead."


def file_upload_discard(*, owner: User, file_id: UUID) -> None:
    """The owner no longer wants an upload (removed from the message box, perhaps while its bytes were still
    on their way): the record goes now and what reached storage once committed, rather than wait for the
    purge. A file a message carries stays: deleting the message is what withdraws it (and deletes the file,
    files_delete_unattached)."""
    stored = selectors.file_get_own(owner=owner, file_id=file_id)
    deleted, _ = _in_no_live_message(StoredFile.objects.filter(pk=stored.pk)).delete()
    if not deleted:
        raise ValidationError({"file": FILE_ATTACHED})
    transaction.on_commit(partial(_delete_objects, stored.storage_key, stored.thumbnail_key))


def _queue_thumbnail(file_id: UUID) -> None:
    from files.tasks import make_file_thumbnail_task

    make_file_thumbnail_task.delay(str(file_id))


def file_make_thumbnail(*, file_id: UUID) -> StoredFile | None:
    """Verify an image in full and store its thumbnail. Idempotent: a file with a thumbnail is left alone.
    Bytes that are not really the sniffed image are downgraded to an opaque download."""
    stored = StoredFile.objects.filter(id=file_id, status=StoredFile.Status.READY).first()
    if stored is None or stored.thumbnail_key or not content.is_inline_image(stored.content_type):
        return stored
    with file_storage.open_file(stored.storage_key) as source:
        try:
            (width, height), thumbnail = content.render_thumbnail(source, stored.content_type)
        except ValueError:
            logger.info("File %s is not a valid %s; serving it as a download", stored.id, stored.content_type)
            stored.content_type, stored.width, stored.height = content.FALLBACK_TYPE, None, None
            stored.save(update_fields=["content_type", "width", "height"])
            return stored
    stored.width, stored.height = width, height
    if thumbnail is not None:
        stored.thumbnail_key = file_storage.save_file(
            _random_key("thumbnails") + ".webp", io.BytesIO(thumbnail)
        )
    stored.save(update_fields=["width", "height", "thumbnail_key"])
    return stored


def files_purge_stale_uploads(*, batch: int = 500) -> int:
    """Remove uploads nobody sent, with their objects: those never completed within FILES_PENDING_MAX_AGE,
    and those completed but carried by no message within FILES_UNSENT_MAX_AGE (a tab closed before its
    message was sent, a discard that failed). Returns how many were removed."""
    now = timezone.now()
    return _purge_pending(now - settings.FILES_PENDING_MAX_AGE, batch) + _purge_unsent(
        now - settings.FILES_UNSENT_MAX_AGE, batch
    )


def _purge_pending(cutoff: datetime, batch: int) -> int:
    """Objects first: a run that fails half-way leaves rows the next run finds again (a pending file is in no
    message, nor can it be put in one)."""
    stale = StoredFile.objects.filter(status=StoredFile.Status.PENDING, created_at__lt=cutoff)
    removed = 0
    for stored in stale.only("id", "storage_key", "thumbnail_key")[:batch]:
        _delete_objects(stored.storage_key, stored.thumbnail_key)
        StoredFile.objects.filter(pk=stored.pk, status=StoredFile.Status.PENDING).delete()
        removed += 1
    return removed


def _purge_unsent(cutoff: datetime, batch: int) -> int:
    """The row first, and only while no message carries it (one may be sent with it as this runs: it is
    stored without the file, messaging.services.storage), its objects once that is committed."""
    ready = StoredFile.objects.filter(status=StoredFile.Status.READY, created_at__lt=cutoff)
    unsent = ready.filter(messages__isnull=True)
    removed = 0
    for stored in unsent.only("id", "storage_key", "thumbnail_key")[:batch]:
        with transaction.atomic():
            if StoredFile.objects.filter(pk=stored.pk, messages__isnull=True).delete()[0]:
                transaction.on_commit(partial(_delete_objects, stored.storage_key, stored.thumbnail_key))
                removed += 1
    return removed


def files_delete_for_owner(*, owner: User) -> int:
    """Delete every file of a person (erasure): the rows now, their objects in storage once committed (a
    rollback keeps both). Returns how many."""
    stored = list(StoredFile.objects.filter(owner=owner).values_list("storage_key", "thumbnail_key"))
    StoredFile.objects.filter(owner=owner).delete()
    for key, thumbnail in stored:
        transaction.on_commit(partial(_delete_objects, key, thumbnail))
    return len(stored)


def _delete_objects(*keys: str) -> None:
    for key in keys:
        file_storage.delete_file(key)


def _in_no_live_message(files: QuerySet[StoredFile]) -> QuerySet[StoredFile]:
    """Those of `files` that no message carries, or only deleted ones (a deleted message shows no files)."""
    live_messages = StoredFile.messages.through.objects.filter(
        storedfile=OuterRef("pk"), message__deleted_at__isnull=True
    )
    return files.exclude(Exists(live_messages))


@transaction.atomic
def files_delete_unattached(*, file_ids: list[UUID]) -> int:
    """Of these files, delete those no message that is not deleted carries any more (their messages were
    deleted, or purged): rows now, so that nobody can download them, objects once committed. A file another
    message still carries stays. Returns how many."""
    orphans = _in_no_live_message(StoredFile.objects.filter(pk__in=file_ids)).select_for_update()
    stored = list(orphans.values_list("pk", "storage_key", "thumbnail_key"))
    StoredFile.objects.filter(pk__in=[pk for pk, _, _ in stored]).delete()
    for _, key, thumbnail in stored:
        transaction.on_commit(partial(_delete_objects, key, thumbnail))
    return len(stored)
