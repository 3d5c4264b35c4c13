"""Every read of moderation's own: what moderators open to judge a report, behind their permission."""

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404

from accounts.models import User
from files.models import StoredFile
from messaging.models import Message

# The permission of the reports queue (ReportAdmin): whoever may read the reports may open what they report.
REPORTS_PERMISSION = "moderation.view_report"


def reported_file_get(*, moderator: User, file_id: UUID) -> StoredFile:
    """A ready file attached to a message someone reported, for a moderator to look at before choosing what to
    do. Without the reports' permission: PermissionDenied (a 403, as the admin answers); any other file, or
    none: the same 404."""
    if not moderator.has_perm(REPORTS_PERMISSION):
        raise PermissionDenied(f"Moderators need the {REPORTS_PERMISSION} permission for this.")
    reported = StoredFile.messages.through.objects.filter(
        storedfile=OuterRef("pk"), message__reports__isnull=False
    )
    try:
        return StoredFile.objects.filter(Exists(reported)).get(id=file_id, status=StoredFile.Status.READY)
    except StoredFile.DoesNotExist as error:
        raise Http404 from error


CONTEXT_MESSAGES = 5  # on each side


def message_context(*, message: Message, around: int = CONTEXT_MESSAGES) -> list[Message]:
    """The messages sent just before and after `message` in its conversation, it included, oldest first (with
    their senders): what a moderator reads a reported message in."""
    near = Message.objects.filter(conversation_id=message.conversation_id).select_related("sender")
    before = list(near.filter(seq__lt=message.seq).order_by("-seq")[:around])
    after = list(near.filter(seq__gt=message.seq).order_by("seq")[:around])
    return [*reversed(before), message, *after]
