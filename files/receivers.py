"""What files does when accounts tells it something (accounts.signals): a person's files in their data
export, and deleted from storage when they are erased."""

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from accounts.services import ExportArchive
from accounts.signals import user_data_export, user_erasing
from files import services, storage
from files.models import StoredFile


@receiver(user_data_export)
def export_files(sender: Any, user: User, archive: ExportArchive, **kwargs: Any) -> None:
    for stored in StoredFile.objects.filter(owner=user, status=StoredFile.Status.READY).order_by(
        "created_at"
    ):
        with storage.open_file(stored.storage_key) as source:
            archive.add_file(f"files/{stored.id}/{stored.name}", source)
    archive.section_done()


@receiver(user_erasing)
def erase_files(sender: Any, user: User, **kwargs: Any) -> None:
    services.files_delete_for_owner(owner=user)
