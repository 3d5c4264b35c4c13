"""Every write of moderation: reports, and the moderators' actions, each recorded in the audit log. The
actions check the moderator's permission themselves, whatever calls them (the admin, a shell, a task)."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction

from accounts import services as account_services
from accounts.models import ApiToken, Invitation, LoginSession, User
from core.errors import Refused
from messaging import selectors as messaging_selectors
from messaging import services as messaging_services
from messaging.models import Message, MessageRevision, RetentionPolicy, Webhook
from messaging.services.webhooks import webhook_revoke
from moderation.models import AuditEntry, Report, message_label
from realtime import close_codes, fanout

Action = AuditEntry.Action
Resolution = Report.Resolution


def _already_reported() -> Refused:
    return Refused("already_reported", "You have already reported this message.")


def _require(moderator: User, permission: str) -> None:
    if not moderator.has_perm(permission):
        raise PermissionDenied(f"Moderators need the {permission} permission for this.")


def audit_record(
    *, actor: User, action: str, target: models.Model, reason: str = "", report: Report | None = None
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        actor_username=actor.get_username(),
        action=action,
        target_type=target._meta.model_name or "",
        target_id=str(target.pk),
        target_repr=(message_label(target) if isinstance(target, Message) else str(target))[:200],
        reason=reason,
        report=report,
    )


def _resolve_reports(*, message_id: UUID, moderator: User, resolution: str) -> int:
    """Close every open report of the message with this resolution; the files of a deleted message, which
    those reports held (moderation.receivers), go now."""
    resolved = Report.objects.filter(message_id=message_id, status=Report.Status.OPEN).update(
        status=Report.Status.RESOLVED,
        resolution=resolution,
        resolved_by=moderator,
        resolved_at=datetime.now(tz=UTC),
    )
    messaging_services.message_files_release(message_id=message_id)
    return resolved


# --- members


@transaction.atomic
def report_create(*, user: User, message_id: UUID, reason: str) -> Report:
    """A member reports a message of a conversation they are in, once."""
    message = messaging_selectors.message_get_for_user(user=user, message_id=message_id)
    if message.sender_id == user.pk:
        raise ValidationError({"message": "You cannot report your own message."})
    if message.is_deleted:
        raise ValidationError({"message": "The message was deleted."})
    if not reason.strip():
        raise ValidationError({"reason": "Say what is wrong with the message."})
    if Report.objects.filter(message=message, reporter=user).exists():
        raise _already_reported()
    try:
        with transaction.atomic():
            return Report.objects.create(
                message=message, reporter=user, reason=reason.strip(), message_body=message.body
            )
    except IntegrityError:  # the same report, sent twice at once
        raise _already_reported() from None


# --- moderators


@transaction.atomic
def message_remove(*, moderator: User, message: Message, reason: str, report: Report | None = None) -> bool:
    """Soft-delete a message; every connected member sees it disappear. Its body is kept as a revision. False
    if it was deleted already: the row is read again, locked, so that two reports of it acted on together, or
    two moderators at once, remove it once."""
    _require(moderator, "messaging.remove_message")
    message = Message.objects.select_for_update().get(pk=message.pk)
    removed = not message.is_deleted
    if removed:
        MessageRevision.objects.create(message=message, body=message.body, editor=moderator)
        messaging_services.message_soft_delete(message=message, by_moderator=True)
        audit_record(
            actor=moderator, action=Action.MESSAGE_REMOVED, target=message, reason=reason, report=report
        )
    elif report is not None:
        _close_done_report(moderator, report, reason, "the message was already deleted")
    _resolve_reports(message_id=message.pk, moderator=moderator, resolution=Resolution.REMOVED)
    return removed


def _close_done_report(moderator: User, report: Report, reason: str, already: str) -> None:
    """A report acted on when what it asked for was done already: who closed it, and why, is recorded too
    (unless it was closed meanwhile, with the other reports of its message)."""
    if Report.objects.filter(pk=report.pk, status=Report.Status.OPEN).exists():
        note = f"{reason} ({already})" if reason else already
        audit_record(actor=moderator, action=Action.REPORT_CLOSED, target=report, reason=note, report=report)


@transaction.atomic
def user_suspend(*, moderator: User, user: User, reason: str, reports: Sequence[Report] = ()) -> bool:
    """Suspend: refresh and API tokens revoked, logins refused, every socket of the user (and of their bots)
    closed with 4403 on every worker once committed. False if they were suspended already (read again,
    locked, as message_remove reads its message). `reports` are the reports of the user's messages this
    suspension answers (a moderator may select several of one sender's at once): one suspension, on the
    record once, resolves them all; if they were suspended already, each open one is closed as done."""
    _require(moderator, "accounts.suspend_user")
    if user.pk == moderator.pk:
        raise ValidationError("You cannot suspend yourself.")
    _refuse_staff_unless_superuser(moderator, user, "suspend")
    if user.is_superuser:
        raise PermissionDenied("A superuser cannot be suspended.")
    # read again before deciding: an account erased since is refused, not found suspended already
    user = account_services.user_lock_unerased(user=user)
    suspending = not user.is_suspended
    if suspending:
        account_services.user_suspend(user=user, reason=reason)
        for user_id in [user.pk, *user.bots.values_list("pk", flat=True)]:
            fanout.after_commit(fanout.close_user_sockets, user_id, close_codes.SUSPENDED)
        first = reports[0] if reports else None
        audit_record(actor=moderator, action=Action.USER_SUSPENDED, target=user, reason=reason, report=first)
    for report in reports:
        if not suspending:
            _close_done_report(moderator, report, reason, "the sender was already suspended")
        _resolve_reports(message_id=report.message_id, moderator=moderator, resolution=Resolution.SUSPENDED)
    return suspending


@transaction.atomic
def user_reinstate(*, moderator: User, user: User, reason: str) -> bool:
    """Lift a suspension; False if the user was not suspended (read again, locked)."""
    _require(moderator, "accounts.suspend_user")
    _refuse_staff_unless_superuser(moderator, user, "reinstate")
    user = account_services.user_lock_unerased(user=user)
    reinstating = user.is_suspended
    if reinstating:
        account_services.user_reinstate(user=user)
        audit_record(actor=moderator, action=Action.USER_REINSTATED, target=user, reason=reason)
    return reinstating


@transaction.atomic
def two_factor_reset(*, moderator: User, user: User, reason: str) -> bool:
    """Remove the second factor of someone who lost their device and codes: they sign in with their password
    alone until they set it up again. Staff's only by a superuser (the admin would take a password alone).
    False if they had none (nothing is recorded)."""
    _require(moderator, "accounts.change_user")
    _refuse_staff_unless_superuser(moderator, user, "remove the two-factor authentication of")
    removed = account_services.two_factor_reset(user=user)
    if removed:
        audit_record(actor=moderator, action=Action.TWO_FACTOR_RESET, target=user, reason=reason)
    return removed


def _refuse_staff_unless_superuser(moderator: User, user: User, doing: str) -> None:
    if (user.is_staff or user.is_superuser) and not moderator.is_superuser:
        raise PermissionDenied(f"Only a superuser can {doing} staff.")


@transaction.atomic
def report_dismiss(*, moderator: User, report: Report, reason: str) -> bool:
    """Dismiss the report and every other open one of its message; False if it was closed already (read
    again, locked)."""
    _require(moderator, "moderation.change_report")
    report = Report.objects.select_for_update().get(pk=report.pk)
    dismissing = report.status == Report.Status.OPEN
    if dismissing:
        _resolve_reports(message_id=report.message_id, moderator=moderator, resolution=Resolution.DISMISSED)
        audit_record(
            actor=moderator, action=Action.REPORT_DISMISSED, target=report, reason=reason, report=report
        )
    return dismissing


# What revokes each kind of access a moderator may take away, and the field it sets.
REVOKERS: dict[type[models.Model], tuple[str, Callable[[Any], object]]] = {
    ApiToken: ("revoked_at", lambda token: account_services.api_token_revoke(token=token)),
    LoginSession: ("ended_at", lambda session: account_services.login_session_end(session=session)),
    Invitation: ("revoked_at", lambda invitation: account_services.invitation_revoke(invitation=invitation)),
    Webhook: ("revoked_at", lambda webhook: webhook_revoke(webhook=webhook)),
}


@transaction.atomic
def access_revoke(*, moderator: User, target: models.Model, reason: str) -> bool:
    """Revoke an API token, an invitation or a webhook, or sign a login session out, on the record; it takes
    the change permission on its kind. False if it was so already (read again, locked, as message_remove
    reads its message)."""
    opts = target._meta
    _require(moderator, f"{opts.app_label}.change_{opts.model_name}")
    done_field, revoke = REVOKERS[type(target)]
    target = type(target)._default_manager.select_for_update().get(pk=target.pk)
    revoking = getattr(target, done_field) is None
    if revoking:
        revoke(target)
        audit_record(actor=moderator, action=Action.ACCESS_REVOKED, target=target, reason=reason)
    return revoking


def object_change_record(*, moderator: User, target: models.Model, change: str) -> AuditEntry:
    """An edit made in the admin's change form (e.g. a display name), described by Django's change message."""
    return audit_record(actor=moderator, action=Action.OBJECT_CHANGED, target=target, reason=change)


def moderation_data_erase(*, user: User) -> None:
    """A person is erased: their own reports go; the audit log keeps what was done, by and to "user <id>"
    (their messages and the reports by or of them too); reports of their messages lose the text the messages
    lose (unless the retention policy keeps it). The files their open reports held (a reported message its
    author deleted) go with those reports, unless another open report still holds them."""
    _audit_labels_forget(user)
    reports = Report.objects.filter(reporter=user)
    holding = list(
        reports.filter(status=Report.Status.OPEN, message__deleted_at__isnull=False).values_list(
            "message_id", flat=True
        )
    )
    reports.delete()
    for message_id in holding:
        messaging_services.message_files_release(message_id=message_id)
    AuditEntry.objects.filter(actor=user).update(actor_username=f"user {user.pk}")
    AuditEntry.objects.filter(target_type="user", target_id=str(user.pk)).update(
        target_repr=f"user {user.pk}"
    )
    if RetentionPolicy.get_solo().erased_users_messages == RetentionPolicy.ErasedMessages.EMPTY:
        Report.objects.filter(message__sender=user).update(message_body="")


def _audit_labels_forget(user: User) -> None:
    """The audit log names the messages and reports it records by who sent and who reported them ("bob's
    message in Team", "Report by ada of bob's message in Team"): the erased person and their bots are named
    "user <id>" there instead, whether or not the message or report is still there."""
    for account in [user, *user.bots.all()]:
        name, anonymous = account.get_username(), f"user {account.pk}"
        entries = AuditEntry.objects.filter(target_type__in=["message", "report"], target_repr__contains=name)
        for entry in entries.only("target_repr"):
            label = _label_without(entry.target_repr, name, anonymous)
            if label != entry.target_repr:
                AuditEntry.objects.filter(pk=entry.pk).update(target_repr=label[:200])


def _label_without(label: str, name: str, anonymous: str) -> str:
    """A label of moderation.models (message_label, Report.__str__) naming `anonymous` for `name`, which
    (a username) has no space or quote, so that another name containing it is left alone."""
    for before, after in [
        (f"{name}'s ", f"{anonymous}'s "),
        (f"Report by {name} of ", f"Report by {anonymous} of "),
    ]:
        if label.startswith(before):
            label = after + label[len(before) :]
    return label.replace(f" of {name}'s ", f" of {anonymous}'s ", 1)
