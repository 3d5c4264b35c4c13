"""A person's data: "download my data" (a ZIP built by a Celery task, with progress, behind a private link
that expires) and erasure (the account anonymised, everything else that names the person removed). Each app
above accounts exports and erases its own part through accounts.signals."""

import json
import os
import secrets
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import IO, Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils.crypto import get_random_string
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import selectors, signals, usernames
from accounts.exceptions import WrongPassword
from accounts.models import ApiToken, Block, DataExport, Invitation, LoginSession, RecoveryCode, User
from accounts.services.sessions import login_sessions_end_all
from accounts.services.two_factor import two_factor_verify
from core.errors import Refused
from realtime import close_codes, fanout

EXPORT_KEEP_DAYS = 7
ERASED_NAME = "Deleted user"
ERASED_USERNAME_PREFIX = usernames.RESERVED_PREFIX  # no one may choose a name that looks like it (User.clean)


class ExportArchive:
    """The ZIP being built: receivers of accounts.signals.user_data_export add their files to it."""

    def __init__(self, zip_file: zipfile.ZipFile, export: DataExport, sections: int) -> None:
        self.zip = zip_file
        self.export = export
        self.sections = max(1, sections)
        self.done = 0

    def add_json(self, path: str, data: Any) -> None:
        self.zip.writestr(path, json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def add_file(self, path: str, source: IO[bytes]) -> None:
        with self.zip.open(path, "w", force_zip64=True) as target:
            while chunk := source.read(64 * 1024):
                target.write(chunk)

    def section_done(self) -> None:
        """One receiver has added its part: move the progress the app shows."""
        self.done += 1
        progress = 10 + 85 * self.done // self.sections
        DataExport.objects.filter(pk=self.export.pk).update(progress=min(progress, 95))


def data_export_request(*, user: User) -> DataExport:
    """Start building the user's export, or, while a finished one is still kept, answer that one (status
    ready): a person has at most one ZIP in storage. Refused while one is being built."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # two requests at once: one waits
        latest = selectors.data_export_latest(user=user)
        if latest is not None and latest.in_progress:
            raise Refused("export_in_progress", "Your data is already being prepared: wait for it to finish.")
        if (available := selectors.data_export_available(user=user)) is not None:
            return available
        export = DataExport.objects.create(user=user)
        expired = DataExport.objects.filter(user=user).exclude(pk=export.pk).exclude(file_key="")
        _exports_purge(expired)  # past their time, not yet purged (no Celery beat in the embedded mode)
    from accounts.tasks import build_data_export_task  # the task module imports the services

    transaction.on_commit(lambda: build_data_export_task.delay(export.pk))
    return export


def _profile(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "email_verified": user.email_verified,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "profile_picture": _picture_path(user),
        "two_factor_enabled": selectors.two_factor_device(user=user) is not None,
        "blocked": [block.blocked.username for block in selectors.block_list_for_user(user=user)],
        "sessions": list(
            LoginSession.objects.filter(user=user).values(
                "device", "ip_address", "created_at", "last_seen_at", "ended_at"
            )
        ),
    }


PROFILE_PICTURE = "profile-picture"


def _picture_path(user: User) -> str | None:
    """Where the user's profile picture goes in their export: Parley's copy (accounts.services.avatars)."""
    name = user.avatar.name if user.avatar else ""
    return f"{PROFILE_PICTURE}{os.path.splitext(name)[1]}" if name else None


def _add_profile_picture(archive: "ExportArchive", user: User) -> None:
    path, name = _picture_path(user), user.avatar.name
    if path is None or not name:
        return
    try:
        with default_storage.open(name, "rb") as source:
            archive.add_file(path, source)
    except FileNotFoundError:  # replaced or removed meanwhile: the export says what it holds
        pass


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build the ZIP (profile.json, then each app's part) into storage. Idempotent: a finished export is left
    alone; a run that died half-way is built again from the start."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or not export.in_progress:
        return export
    DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.RUNNING, progress=5)
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as zip_file:
            archive = ExportArchive(zip_file, export, sections=len(signals.user_data_export.receivers))
            archive.add_json("profile.json", _profile(export.user))
            _add_profile_picture(archive, export.user)
            signals.user_data_export.send(sender=User, user=export.user, archive=archive)
        size = spool.tell()
        spool.seek(0)
        key = default_storage.save(f"exports/{secrets.token_urlsafe(24)}.zip", File(spool))
    now = datetime.now(tz=UTC)
    DataExport.objects.filter(pk=export.pk).update(
        status=DataExport.Status.READY,
        progress=100,
        file_key=key,
        size=size,
        finished_at=now,
        expires_at=now + timedelta(days=EXPORT_KEEP_DAYS),
    )
    export.refresh_from_db()
    return export


def data_export_fail(*, export_id: int) -> None:
    DataExport.objects.filter(pk=export_id).update(status=DataExport.Status.FAILED)


def data_exports_purge_expired() -> int:
    """Remove the ZIPs past their time (objects first: a run that fails half-way is picked up again)."""
    return _exports_purge(DataExport.objects.filter(expires_at__lt=datetime.now(tz=UTC)).exclude(file_key=""))


def _exports_purge(exports: QuerySet[DataExport]) -> int:
    count = 0
    for export in exports:
        default_storage.delete(export.file_key)
        DataExport.objects.filter(pk=export.pk).update(file_key="")
        count += 1
    return count


# --- erasure


def user_erase_confirmed(*, user: User, password: str, code: str) -> bool:
    """A person deletes their own account: the password, and with two-factor authentication a code too."""
    if not user.check_password(password):
        raise WrongPassword({"password": "This is not your password."})
    two_factor_verify(user=user, code=code)  # nothing to check without two-factor authentication
    return user_erase(user=user)


def _erase_accounts_data(user: User) -> None:
    login_sessions_end_all(user=user)  # tokens refused and sockets closed at once
    LoginSession.objects.filter(user=user).delete()  # devices and addresses
    OutstandingToken.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    Block.objects.filter(blocker=user).delete()
    Block.objects.filter(blocked=user).delete()
    Invitation.objects.filter(created_by=user).delete()
    for export in DataExport.objects.filter(user=user).exclude(file_key=""):
        transaction.on_commit(partial(default_storage.delete, export.file_key))
    DataExport.objects.filter(user=user).delete()
    user_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).update(
        object_repr=f"user {user.pk}"
    )
    for bot in user.bots.all():
        ApiToken.objects.filter(user=bot).delete()
        bot.is_active, bot.display_name = False, "Deleted bot"
        bot.username = _erased_username(f"{ERASED_USERNAME_PREFIX}bot-{bot.pk}", account=bot)
        bot.save(update_fields=["is_active", "username", "display_name"])
        fanout.after_commit(fanout.close_user_sockets, bot.pk, close_codes.UNAUTHENTICATED)


def _erased_username(name: str, *, account: User) -> str:
    """`name`, or `name-<random>` should another account have it or a look-alike (one named so before the
    prefix was reserved): erasure never fails on a taken name."""
    candidate = name
    while (
        User.objects.filter(username_key=usernames.lookalike_key(candidate)).exclude(pk=account.pk).exists()
    ):
        candidate = f"{name}-{get_random_string(8, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
    return candidate


def _anonymise(user: User) -> None:
    if user.avatar.name:
        transaction.on_commit(partial(default_storage.delete, user.avatar.name))
    user.username = _erased_username(f"{ERASED_USERNAME_PREFIX}{user.pk}", account=user)
    user.display_name, user.email = ERASED_NAME, ""
    user.first_name = user.last_name = user.suspension_reason = ""
    user.avatar = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.email_verified_at = user.last_login = None
    user.erased_at = datetime.now(tz=UTC)
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


@transaction.atomic
def user_erase(*, user: User) -> bool:
    """Erase a person's data: every app removes or anonymises its part (accounts.signals.user_erasing), their
    sessions, tokens, bots and sockets end, and the account row stays only as "Deleted user". Idempotent:
    False when it was erased already."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.erased_at is not None:
        return False
    signals.user_erasing.send(sender=User, user=user)
    _erase_accounts_data(user)
    _anonymise(user)
    fanout.after_commit(fanout.close_user_sockets, user.pk, close_codes.UNAUTHENTICATED)  # API-token ones too
    return True
