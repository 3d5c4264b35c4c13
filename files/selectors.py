"""Every read of files. A file someone may not see is the same 404 as a file that does not exist."""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
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
    live = _live_carriers()
    shared_with_user = live.filter(message__conversation__memberships__user=user)
    own = Q(owner=user) & _not_withdrawn()
    visible = StoredFile.objects.filter(own | Exists(shared_with_user))
    try:
        return visible.get(id=file_id, status=StoredFile.Status.READY)
    except StoredFile.DoesNotExist as error:
        raise Http404 from error


def _live_carriers() -> QuerySet[Any]:
    """The links of messages that are not deleted to the outer file (files sit below messaging, which owns the
    Message model, so they are reached through the attachment links)."""
    return StoredFile.messages.through.objects.filter(
        storedfile=OuterRef("pk"), message__deleted_at__isnull=True
    )


def _not_withdrawn() -> Q:
    """A file no message carries yet (fresh from its upload) or one a message that is not deleted carries:
    not one only deleted messages carry, which went with them (or waits, held for the moderators)."""
    carried = StoredFile.messages.through.objects.filter(storedfile=OuterRef("pk"))
    return Q(Exists(_live_carriers())) | ~Q(Exists(carried))


def withdrawn_file_ids() -> QuerySet[StoredFile, UUID]:
    """The ids of the files only deleted messages carry (the negation of _not_withdrawn among carried files),
    in order: what the hourly sweep releases (messaging.services.deleted_messages_files_release)."""
    return StoredFile.objects.exclude(_not_withdrawn()).order_by("pk").values_list("pk", flat=True)


def _parse_ids(file_ids: Iterable[UUID | str]) -> list[UUID]:
    try:
        return list(
            dict.fromkeys(value if isinstance(value, UUID) else UUID(str(value)) for value in file_ids)
        )
    except (TypeError, ValueError) as error:
        raise ValidationError({"attachments": ATTACHMENTS_REFUSED}) from error


def files_for_attachment(*, owner: User, file_ids: list[UUID]) -> list[StoredFile]:
    """The owner's ready files that are fresh from their upload (no message carries them yet) or carried by a
    message that is not deleted, in the order given (duplicates dropped), in one query. A file only deleted
    messages carry was withdrawn with them (it is being deleted, or held for the moderators): attaching it
    again would share what its owner deleted, so it is refused like one that does not exist. One error
    whether a file is missing, still uploading, withdrawn or someone else's, so ids cannot be probed."""
    if len(file_ids) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": ATTACHMENTS_REFUSED})
    ids = _parse_ids(file_ids)
    if not ids:
        return []
    attachable = StoredFile.objects.filter(
        _not_withdrawn(), id__in=ids, owner=owner, status=StoredFile.Status.READY
    )
    found = {stored.id: stored for stored in attachable}
    if len(found) != len(ids):
        raise ValidationError({"attachments": ATTACHMENTS_REFUSED})
    return [found[file_id] for file_id in ids]
