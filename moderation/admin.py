"""The moderators' admin: actions on messages, users and reports, each through moderation.services (which
checks the permission and writes the audit entry), and the read-only audit log. Message and user admins are
extended here so the moderation code stays in one app."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.admin import UserAdmin
from accounts.models import User
from messaging.admin import MessageAdmin
from messaging.models import Message, MessageRevision
from moderation import services
from moderation.models import AuditEntry, Report


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Why: kept in the audit log (required to remove or suspend).",
    )


def _run(
    request: HttpRequest,
    items: list[Any],
    act: Callable[[Any, Any, str], bool],
    done: str,
    *,
    reason_required: bool = False,
) -> None:
    """Apply `act(moderator, item, reason)` to each item, the reason being what was typed beside the action
    menu (removing and suspending refuse to run without one); report how many it changed (act returned
    True), how many were so already, and why others were refused."""
    reason = request.POST.get("reason", "").strip()
    if reason_required and not reason:
        messages.error(request, "Give a reason: it goes into the audit log.")
        return
    moderator: Any = request.user
    changed = unchanged = 0
    for item in items:
        try:
            acted = act(moderator, item, reason)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, f"{item}: {'; '.join(getattr(error, 'messages', [str(error)]))}")
            continue
        changed, unchanged = changed + acted, unchanged + (not acted)
    counts = {done: changed, f"{done.lower()} already": unchanged}
    summary = "; ".join(f"{what}: {count}" for what, count in counts.items() if count)
    if summary:
        messages.success(request, summary + ".")


class AuditedChangesMixin:
    """Edits made in a change form go into the audit log too."""

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        if message:  # a Save that changed nothing is no moderation
            moderator: Any = request.user
            services.object_change_record(moderator=moderator, target=obj, change=entry.get_change_message())
        return entry


# --- messages


class MessageRevisionInline(admin.TabularInline):
    model = MessageRevision
    extra = 0
    fields = ("created_at", "editor", "body")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(Message)


@admin.register(Message)
class ModeratedMessageAdmin(AuditedChangesMixin, MessageAdmin):
    action_form = ReasonActionForm
    actions = ["remove"]
    inlines = [MessageRevisionInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # messages are removed (soft-deleted, live), never deleted from the admin

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("messaging.remove_message")

    @admin.action(description="Remove the selected messages (live, for everyone)", permissions=["remove"])
    def remove(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        _run(
            request,
            list(queryset),
            lambda moderator, m, reason: services.message_remove(
                moderator=moderator, message=m, reason=reason
            ),
            "Removed",
            reason_required=True,
        )


# --- users


admin.site.unregister(User)


@admin.register(User)
class ModeratedUserAdmin(AuditedChangesMixin, UserAdmin):
    action_form = ReasonActionForm
    actions = [*UserAdmin.actions, "suspend", "reinstate", "reset_two_factor"]
    list_display = (  # type: ignore[assignment]
        "username",
        "display_name",
        "is_active",
        "suspended_at",
        "is_bot",
        "is_staff",
        "date_joined",
    )
    list_filter = ("is_active", ("suspended_at", admin.EmptyFieldListFilter), "is_bot", "is_staff", "groups")
    moderation_fields = ("is_bot", "bot_owner", "suspended_at", "suspension_reason")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Moderation", {"fields": moderation_fields}))
    # What a moderator (not a superuser) may edit: how a person appears, nothing about their access.
    MODERATOR_EDITABLE = ("display_name", "avatar")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return self.moderation_fields
        every_field = [f for _, options in self.get_fieldsets(request, obj) for f in options["fields"]]
        return [f for f in every_field if f not in self.MODERATOR_EDITABLE]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False  # moderators cannot touch staff accounts
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.suspend_user")

    @admin.action(description="Suspend the selected users (closes their sockets)", permissions=["suspend"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(
            request,
            list(queryset),
            lambda moderator, u, reason: services.user_suspend(moderator=moderator, user=u, reason=reason),
            "Suspended",
            reason_required=True,
        )

    @admin.action(description="Reinstate the selected users", permissions=["suspend"])
    def reinstate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(
            request,
            list(queryset),
            lambda moderator, u, reason: services.user_reinstate(moderator=moderator, user=u, reason=reason),
            "Reinstated",
        )

    @admin.action(
        description="Remove the selected users' two-factor authentication (a lost device)",
        permissions=["change"],
    )
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(
            request,
            list(queryset),
            lambda moderator, u, reason: services.two_factor_reset(
                moderator=moderator, user=u, reason=reason
            ),
            "Two-factor authentication removed",
        )


# --- reports


@admin.register(Report)
class ReportAdmin(AuditedChangesMixin, admin.ModelAdmin):
    action_form = ReasonActionForm
    actions = ["remove_message", "suspend_sender", "dismiss"]
    list_display = ("id", "created_at", "status", "resolution", "reporter", "sender", "excerpt", "reason")
    list_filter = ("status", "resolution", "created_at")
    search_fields = ("reason", "message_body", "reporter__username", "message__sender__username")
    list_select_related = ("reporter", "message__sender")
    ordering = ("status", "-created_at")  # open first
    readonly_fields = (
        "message",
        "reporter",
        "reason",
        "message_body",
        "status",
        "resolution",
        "resolved_by",
        "resolved_at",
        "created_at",
    )

    @admin.display(description="sender")
    def sender(self, report: Report) -> str:
        return report.message.sender.username

    @admin.display(description="reported text")
    def excerpt(self, report: Report) -> str:
        return report.message_body[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """A report is acted on by the list's actions; its page, where nothing can change, only shows it."""
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("messaging.remove_message")

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.suspend_user")

    @admin.action(description="Remove the reported messages", permissions=["remove"])
    def remove_message(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        _run(
            request,
            list(queryset.select_related("message")),
            lambda moderator, r, reason: services.message_remove(
                moderator=moderator, message=r.message, reason=reason, report=r
            ),
            "Messages removed",
            reason_required=True,
        )

    @admin.action(description="Suspend the senders of the reported messages", permissions=["suspend"])
    def suspend_sender(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        _run(
            request,
            list(queryset.select_related("message__sender")),
            lambda moderator, r, reason: services.user_suspend(
                moderator=moderator, user=r.message.sender, reason=reason, report=r
            ),
            "Senders suspended",
            reason_required=True,
        )

    @admin.action(description="Dismiss the selected reports", permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        _run(
            request,
            list(queryset),
            lambda moderator, r, reason: services.report_dismiss(
                moderator=moderator, report=r, reason=reason
            ),
            "Dismissed",
        )


# --- audit log


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_username", "action", "target_type", "target_repr", "reason")
    list_filter = ("action", "target_type", "created_at")
    search_fields = ("actor_username", "target_repr", "target_id", "reason")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
