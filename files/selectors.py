"""Every read of files. A file someone may not see is the same 404 as a file that does not exist."""

from collections.abc import Iterable
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from accounts.models import User
from files.models import StoredFile

MAX_ATTACHMENTS = 10
ATTACHMENTS_REFUSED = f"Attach at most {MAX_ATTACHMENTS} of your own uploaded files."


def file_get_own(*, owner: User, file_id: UUID) -> StoredFile:
    """One of the owner's own files, pending or ready; another user's file is a 404."""
    try:
        return StoredFile.objects.get(id=file_id, owner=owner)
    except StoredFile.DoesNotExist as error:
        raise Http404 from error


def file_get_for_download(*, user: User, file_id: UUID) -> StoredFile:
    """A ready file `user` may download: one attached to a message that is not deleted in a conversation they
    are a member of, or their own while no message carries it or one not deleted does. A file only deleted
    messages carry is nobody's, its owner's included: deleting a message withdraws what it shared (the file
    itself goes with it, files.services.files_delete_unattached, unless moderators hold it for a report)."""
    # Through the attachment links (files sit below messaging, which owns the Message model).
    carried = StoredFile.messages.through.objects.filter(storedfile=OuterRef("pk"))
    live = carried.filter(message__deleted_at__isnull=True)
    shared_with_user = live.filter(message__conversation__memberships__user=user)
    own = Q(owner=user) & (Exists(live) | ~Exists(carried))
    visible = StoredFile.objects.filter(own | Exists(shared_with_user))
    try:
        return visible.get(id=file_id, status=StoredFile.Status.READY)
    except StoredFile.DoesNotExist as error:
        raise Http404 from error


def _parse_ids(file_ids: Iterable[UUID | str]) -> list[UUID]:
    try:
        return list(
            dict.fromkeys(value if isinstance(value, UUID) else UUID(str(value)) for value in file_ids)
        )
    except (TypeError, ValueError) as error:
        raise ValidationError({"attachments": ATTACHMENTS_REFUSED}) from error


def files_for_attachment(*, owner: User, file_ids: list[UUID]) -> list[StoredFile]:
    """The owner's ready files, in the order given (duplicates dropped), in one query. One error
    whether a file is missing, still uploading or someone else's, so ids cannot be probed."""
    if len(file_ids) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": ATTACHMENTS_REFUSED})
    ids = _parse_ids(file_ids)
    if not ids:
        return []
    found = {
        stored.id: stored
        for stored in StoredFile.objects.filter(id__in=ids, owner=owner, status=StoredFile.Status.READY)
    }
    if len(found) != len(ids):
        raise ValidationError({"attachments": ATTACHMENTS_REFUSED})
    return [found[file_id] for file_id in ids]
