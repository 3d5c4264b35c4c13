"""The moderators' admin: actions on messages, users and reports, each through moderation.services (which
checks the permission and writes the audit entry), and the read-only audit log. Message and user admins, and
the revocations of API tokens, login sessions, invitations and webhooks, are extended here so the moderation
code stays in one app."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import quote
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from accounts.admin import ApiTokenAdmin, InvitationAdmin, LoginSessionAdmin, UserAdmin
from accounts.admin_site import action_confirmation
from accounts.models import ApiToken, Invitation, LoginSession, User
from core.admin_actions import say_what_was_done
from core.text import visible_text
from files import storage as file_storage
from files.models import StoredFile
from messaging.admin import MessageAdmin, WebhookAdmin
from messaging.models import Conversation, Message, MessageRevision, Webhook
from moderation import selectors, services
from moderation.models import AuditEntry, Report, message_label


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Why: kept in the audit log (required to remove or suspend).",
    )


@dataclass(frozen=True)
class Confirmation:
    """The page a destructive action shows before it does anything (as Django's delete_selected does): its
    title, what will happen, what its list names, the Yes button, and how each selected row is named there."""

    title: str
    consequence: str
    listed: str
    yes: str
    label: Callable[[Any], str]


def _run(
    request: HttpRequest,
    items: list[Any],
    act: Callable[[Any, Any, str], bool | None],
    done: str,
    *,
    reason_required: bool = False,
    unchanged: str = "",
    confirm: tuple[admin.ModelAdmin, Confirmation] | None = None,
    counted_by: Callable[[Any], Any] = lambda item: item.pk,
) -> TemplateResponse | None:
    """Apply `act(moderator, item, reason)` to each item, the reason being what was typed beside the action
    menu (removing and suspending refuse to run without one, and `confirm` first, on a page of that model
    admin's, until its Yes is pressed); report how many it changed (act returned True), how many were so
    already (`unchanged` says what they were, "<done> already" by default), and why others were refused.
    An item act answers None for was acted on with an earlier one (as the sender of several reports is
    suspended once), and is counted with it.
    What is counted is what `done` names: items with the same `counted_by` (three reports of one message, for
    "Messages removed") count once, as changed if it acted on any of them."""
    reason = request.POST.get("reason", "").strip()
    if reason_required and not reason:
        messages.error(request, "Give a reason: it goes into the audit log.")
        return None
    if confirm is not None and request.POST.get("post") != "yes":
        return _confirmation(request, items, reason, *confirm)
    moderator: Any = request.user
    acted_on: dict[Any, bool] = {}
    for item in items:
        try:
            acted = act(moderator, item, reason)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, f"{item}: {'; '.join(getattr(error, 'messages', [str(error)]))}")
            continue
        if acted is None:
            continue
        key = counted_by(item)
        acted_on[key] = acted_on.get(key, False) or acted
    changed = sum(acted_on.values())
    say_what_was_done(
        request, {done: changed, unchanged or f"{done.lower()} already": len(acted_on) - changed}
    )
    return None


def _confirmation(
    request: HttpRequest, items: list[Any], reason: str, model_admin: admin.ModelAdmin, confirm: Confirmation
) -> TemplateResponse:
    return action_confirmation(
        request,
        model_admin,
        title=confirm.title,
        consequence=confirm.consequence,
        listed=confirm.listed,
        labels=list(dict.fromkeys(confirm.label(item) for item in items)),  # a sender reported twice: once
        yes=confirm.yes,
        selected=[item.pk for item in items],
        reason=reason,
    )


REMOVAL = (
    "Each message vanishes at once for every member, live. Its text is kept as a revision for moderators; "
    "its files are deleted, and its open reports are resolved as “Message removed”. It cannot be undone."
)
SUSPENSION = (
    "Each account is deactivated at once: their open pages, and their bots', close; every session of "
    "theirs ends and every API token is revoked (a reinstatement does not bring them back). They cannot log "
    "in until they are reinstated."
)


def _removing(label: Callable[[Any], str]) -> Confirmation:
    return Confirmation("Remove these messages?", REMOVAL, "Messages", "Yes, remove them", label)


def _suspending(label: Callable[[Any], str]) -> Confirmation:
    return Confirmation("Suspend these people?", SUSPENSION, "People", "Yes, suspend them", label)


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
    readonly_fields = (*fields, "editor_name")
    can_delete = False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return _named_unless_openable(request, self.fields, {"editor": (User, "editor_name")})

    @admin.display(description="editor")
    def editor_name(self, revision: MessageRevision) -> str | None:
        return revision.editor.get_username() if revision.editor else None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(Message)


@admin.register(Message)
class ModeratedMessageAdmin(AuditedChangesMixin, MessageAdmin):
    action_form = ReasonActionForm
    actions = ["remove"]
    inlines = [MessageRevisionInline]
    # Its page is headed, titled and placed in the breadcrumbs by who sent it where (render_change_form), not
    # by its conversation's id and seq ("1#3", Message.__str__, which the list's rows keep: it reads nothing).
    change_form_template = "admin/messaging/message/moderated_change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        """With its sender and conversation, and whether a moderator removed it (a deleted message's row says
        who took its text away), all in the one query of the list's page."""
        removal = AuditEntry.objects.filter(
            action=AuditEntry.Action.MESSAGE_REMOVED,
            target_type=Message._meta.model_name,
            target_id=Cast(OuterRef("pk"), CharField()),
        )
        removed = Case(When(deleted_at__isnull=False, then=Exists(removal)), default=Value(False))
        queryset = super().get_queryset(request).select_related("sender", "conversation")
        return queryset.annotate(removed=removed)

    def get_list_display(self, request: HttpRequest) -> Any:
        """Its text among the columns, cut short: a moderator scanning the list knows what each says."""
        return ("id", "conversation", "seq", "sender", "text", "created_at", "edited_at", "deleted_at")

    @admin.display(description="text")
    def text(self, message: Message) -> str:
        """Its text cut short; a deleted message's is gone, and its row says so (and whether a moderator
        removed it) rather than showing nothing."""
        if message.is_deleted:
            return "(removed by a moderator)" if getattr(message, "removed", False) else "(deleted)"
        return _short(message.body) if message.body.strip() else "(no text)"

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            context["subtitle"] = message_label(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Its attachments shown as `files` (each a link a moderator opens, once the message is reported) in
        place of their bare names; as `file_names` to staff who may not open them (without the reports'
        permission: selectors.reported_file_get), so that no link of theirs answers 403.
        Its context follows its body.
        """
        shown = "files" if request.user.has_perm(selectors.REPORTS_PERMISSION) else "file_names"
        fields = [f for f in super().get_fields(request, obj) if f not in self.OWN_FIELDS]
        fields = [shown if f == "attachments" else f for f in fields]
        fields = _named_unless_openable(  # Django's links to them would answer 403
            request,
            fields,
            {"sender": (User, "sender_name"), "conversation": (Conversation, "conversation_name")},
        )
        return [g for f in fields for g in ((f, "context") if f == "body" else (f,))]

    OWN_FIELDS = ("files", "file_names", "context", "sender_name", "conversation_name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), *self.OWN_FIELDS]

    @admin.display(description="sender")
    def sender_name(self, message: Message) -> str:
        return message.sender.get_username()

    @admin.display(description="conversation")
    def conversation_name(self, message: Message) -> str:
        return str(message.conversation)

    @admin.display(description="context")
    def context(self, message: Message) -> str:
        """The messages just before and after it in its conversation (selectors.message_context), each linked
        to its page, it in bold: a reply is judged with what it answered."""
        rows = (
            (
                reverse("admin:messaging_message_change", args=[m.pk]),
                m.sender.get_username(),
                "(deleted)" if m.is_deleted else _short(m.body),
                format_html("<strong>{}</strong>", "this message") if m.pk == message.pk else "",
            )
            for m in selectors.message_context(message=message)
        )
        items = format_html_join("", '<li><a href="{}">{}</a>: {} {}</li>', rows)
        return format_html('<ol id="message-context" style="margin: 0; padding-left: 1.5em">{}</ol>', items)

    @admin.display(description="attachments")
    def files(self, message: Message) -> str | None:
        return _files_html(message.attachment_files(), linked=message.reports.exists())

    @admin.display(description="attachments")
    def file_names(self, message: Message) -> str | None:
        return _files_html(message.attachment_files(), linked=False)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Nothing on a message can be changed (MessageAdmin.get_readonly_fields): its page only shows it,
        with no Save; the list's Remove acts on it."""
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # messages are removed (soft-deleted, live), never deleted from the admin

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("messaging.remove_message")

    @admin.action(description="Remove the selected messages (live, for everyone)", permissions=["remove"])
    def remove(self, request: HttpRequest, queryset: QuerySet[Message]) -> TemplateResponse | None:
        return _run(
            request,
            list(queryset.select_related("sender", "conversation")),
            lambda moderator, m, reason: services.message_remove(
                moderator=moderator, message=m, reason=reason
            ),
            "Removed",
            reason_required=True,
            confirm=(self, _removing(message_label)),
        )


# --- users


admin.site.unregister(User)


class ModeratedUserChangeForm(UserChangeForm):
    def clean_display_name(self) -> str:
        """Cleaned as the API cleans the name people set themselves (accounts.services.user_update_profile):
        only what a reader sees, so that no right-to-left override or invisible character shows others a name
        it is not."""
        return visible_text(self.cleaned_data.get("display_name") or "")


@admin.register(User)
class ModeratedUserAdmin(AuditedChangesMixin, UserAdmin):
    form = ModeratedUserChangeForm
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
        """A user's page shows whether the account is active (`account_status`), not a box: an account is
        deactivated only by Suspend, which closes its sockets, revokes its tokens and is on the record.
        Moderators do not see the password's field."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        hidden = () if request.user.is_superuser else ("password",)
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "account_status" if f == "is_active" else f
                        for f in options["fields"]
                        if f not in hidden
                    ],
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return (*self.moderation_fields, "account_status")
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

    def get_actions(self, request: HttpRequest) -> Any:
        """Without Django's "Delete selected users": a user with a message or a report cannot be deleted (it
        always failed); people's data go by Erase, which keeps what others still see as "Deleted user"."""
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Active")
    def account_status(self, user: User) -> str:
        if user.erased_at is not None:
            return "No: erased (“Deleted user”). It stays inactive."
        if user.is_suspended:
            return (
                "No: suspended (see Moderation). To reinstate: select them in the list of users, then "
                "“Reinstate the selected users”."
            )
        if user.is_active:
            return (
                "Yes. To suspend (their open pages close, their tokens are revoked, it is on the record): "
                "select them in the list of users, then “Suspend the selected users”."
            )
        return "No."

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.suspend_user")

    @admin.action(description="Suspend the selected users (closes their sockets)", permissions=["suspend"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[User]) -> TemplateResponse | None:
        return _run(
            request,
            list(queryset),
            lambda moderator, u, reason: services.user_suspend(moderator=moderator, user=u, reason=reason),
            "Suspended",
            reason_required=True,
            confirm=(self, _suspending(User.get_username)),
        )

    @admin.action(description="Reinstate the selected users", permissions=["suspend"])
    def reinstate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(
            request,
            list(queryset),
            lambda moderator, u, reason: services.user_reinstate(moderator=moderator, user=u, reason=reason),
            "Reinstated",
            unchanged="not suspended",
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
            unchanged="had no two-factor authentication",
        )


# --- reports


THUMBNAIL_STYLE = "display: block; max-width: 160px; max-height: 160px; margin: 4px 0"


def _files_html(files: list[StoredFile], *, linked: bool) -> str | None:
    """A message's files as a moderator sees them: name, type and size; once it is reported (`linked`), each
    name opens the file (ReportAdmin.reported_file: an image in the browser, anything else a download) and an
    image's thumbnail is shown above it."""
    if not files:
        return None
    if not linked:
        return format_html_join(", ", "{}", ((f.name,) for f in files))
    return format_html_join("", "<div>{}</div>", ((_file_html(f),) for f in files))


def _file_html(stored: StoredFile) -> str:
    url = reverse("admin:moderation_report_file", args=[stored.id])
    thumbnail = (
        format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" style="{}"></a>',
            url,
            reverse("admin:moderation_report_file_thumbnail", args=[stored.id]),
            stored.name,
            THUMBNAIL_STYLE,
        )
        if stored.thumbnail_key
        else ""
    )
    return format_html(
        '{}<a href="{}" target="_blank" rel="noopener">{}</a> ({}, {})',
        thumbnail,
        url,
        stored.name,
        stored.content_type,
        filesizeformat(stored.size),
    )


SHORT_TEXT = 80  # characters of a text shown in a list's column


def _may_open(request: HttpRequest, model: type[Model]) -> bool:
    """Whether the viewer may open this kind of object's admin page, by the rule that page applies itself (its
    model admin's has_view_permission: view or change): a link to it would not answer 403."""
    return admin.site.is_registered(model) and admin.site.get_model_admin(model).has_view_permission(request)


def _named_unless_openable(
    request: HttpRequest, fields: Any, names: dict[str, tuple[type[Model], str]]
) -> list[Any]:
    """`fields` of a page with each linked one of `names` ({field: (the model its link opens, the field naming
    it without a link)}) swapped for its name where the viewer may not open that model's pages (_may_open):
    Django's own links (a foreign key's), and ours, would answer 403."""
    unlinked = {f: name for f, (model, name) in names.items() if not _may_open(request, model)}
    return [unlinked.get(f, f) for f in fields]


def _short(text: str) -> str:
    """The start of `text` on one line, with an ellipsis if there is more; long words may break."""
    return format_html(
        '<span style="overflow-wrap: anywhere">{}</span>', Truncator(" ".join(text.split())).chars(SHORT_TEXT)
    )


class OpenReportsFilter(admin.SimpleListFilter):
    """Reports by how many open reports their message has: one, or several (reported by more than one)."""

    title = "open reports of its message"
    parameter_name = "open_reports"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", "one"), ("several", "several")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "1":
            return queryset.filter(open_reports=1)
        if self.value() == "several":
            return queryset.filter(open_reports__gt=1)
        return queryset


@admin.register(Report)
class ReportAdmin(AuditedChangesMixin, admin.ModelAdmin):
    action_form = ReasonActionForm
    actions = ["remove_message", "suspend_sender", "dismiss"]
    # Seven narrow columns, so that the queue fits beside the admin's navigation on a laptop (1280 px): the
    # report's link is its date, its state one column ("Open", or how it was resolved), and how many open
    # reports its message has a number.
    list_display = ("created_at", "state", "open_reports", "reporter", "sender", "excerpt", "short_reason")
    list_display_links = ("created_at",)
    list_filter = ("status", "resolution", OpenReportsFilter, "created_at")
    search_fields = ("reason", "message_body", "reporter__username", "message__sender__username")
    # Each row's checkbox names its report (Report.__str__: who reported whose message where): one query.
    # A bot's sender is named with its owner (sender): the same query.
    list_select_related = ("reporter", "message__sender__bot_owner", "message__conversation")
    ordering = ("status", "-created_at")  # open first
    # A report's page only shows it (has_change_permission): every field, whole, the message named by who and
    # where, linked to its own page (for staff who may read messages: get_fields).
    fields = (
        "reported_message",
        "sent_by",
        "reported_files",
        "reporter",
        "reason",
        "reported_text",
        "message_now",
        "status",
        "resolution",
        "resolved_by",
        "resolved_at",
        "created_at",
    )
    readonly_fields = (*fields, "message_name", "sent_by_name", "reporter_name", "resolved_by_name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        """Each report with how many open reports its message has (`open_reports`), counted in the one query
        of the queue's page: three reports of one message read as one message reported three times."""
        of_its_message = (
            Report.objects.filter(message_id=OuterRef("message_id"), status=Report.Status.OPEN)
            .order_by()
            .values("message_id")
            .annotate(count=Count("pk"))
            .values("count")
        )
        counted = Coalesce(Subquery(of_its_message, output_field=IntegerField()), 0)
        return super().get_queryset(request).annotate(open_reports=counted)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """The message, and the people, named without a link to staff who may not read messages (or users):
        the link would answer 403."""
        return _named_unless_openable(
            request,
            self.fields,
            {
                "reported_message": (Message, "message_name"),
                "reporter": (User, "reporter_name"),
                "resolved_by": (User, "resolved_by_name"),
                "sent_by": (User, "sent_by_name"),
            },
        )

    @admin.display(description="state", ordering="status")
    def state(self, report: Report) -> str:
        return report.get_resolution_display() if report.resolution else report.get_status_display()

    @admin.display(description="open reports", ordering="open_reports")
    def open_reports(self, report: Report) -> int:
        """How many open reports its message has, this one included if it is open (get_queryset)."""
        return int(getattr(report, "open_reports", 0))

    @admin.display(description="sender")
    def sender(self, report: Report) -> str:
        """Who sent the message; a bot is marked so, with its owner: "helper (bot of alan)"."""
        sender = report.message.sender
        if not sender.is_bot:
            return sender.get_username()
        if sender.bot_owner is None:
            return f"{sender.get_username()} (bot)"
        return f"{sender.get_username()} (bot of {sender.bot_owner.get_username()})"

    @admin.display(description="sender")
    def sent_by(self, report: Report) -> str:
        """As the queue names the sender, the bot's owner linked to their page (for staff who may read users:
        get_fields)."""
        sender = report.message.sender
        owner = sender.bot_owner if sender.is_bot else None
        if owner is None:
            return self.sender(report)
        url = reverse("admin:accounts_user_change", args=[owner.pk])
        return format_html(
            '{} (bot of <a href="{}">{}</a>)', sender.get_username(), url, owner.get_username()
        )

    @admin.display(description="sender")
    def sent_by_name(self, report: Report) -> str:
        return self.sender(report)

    # The queue's texts are cut short, so that the list fits a laptop's screen; a report's page shows them.
    @admin.display(description="reported text")
    def excerpt(self, report: Report) -> str:
        return _short(report.message_body)

    @admin.display(description="reason")
    def short_reason(self, report: Report) -> str:
        return _short(report.reason)

    @admin.display(description="message")
    def reported_message(self, report: Report) -> str:
        url = reverse("admin:messaging_message_change", args=[report.message_id])
        return format_html('<a href="{}">{}</a>', url, message_label(report.message))

    @admin.display(description="message")
    def message_name(self, report: Report) -> str:
        return message_label(report.message)

    @admin.display(description="reporter")
    def reporter_name(self, report: Report) -> str:
        return report.reporter.get_username()

    @admin.display(description="resolved by")
    def resolved_by_name(self, report: Report) -> str | None:
        return report.resolved_by.get_username() if report.resolved_by else None

    @admin.display(description="reported text")
    def reported_text(self, report: Report) -> str:
        """The message's text when it was reported (Report.message_body), whole."""
        return format_html('<span style="white-space: pre-wrap">{}</span>', report.message_body)

    @admin.display(description="the message now")
    def message_now(self, report: Report) -> str:
        """Whether the message still says what was reported (the text above, kept as it was): a moderator
        judges what was reported, and knows what members see now."""
        message = report.message
        if message.sender.erased_at is not None:
            return "Erased with its sender's account."
        if message.is_deleted:
            return "Deleted since the report."
        if message.body == report.message_body:
            return "As reported."
        return format_html(
            '<em>Edited since the report; it now says:</em> <span style="white-space: pre-wrap">{}</span>',
            message.body,
        )

    @admin.display(description="attachments")
    def reported_files(self, report: Report) -> str | None:
        return _files_html(report.message.attachment_files(), linked=True)

    def get_urls(self) -> list[URLPattern]:
        """A reported message's files, opened from its report's page and its own (before the catch-all
        `<object_id>/` pages)."""
        staff_only = self.admin_site.admin_view
        return [
            path("file/<uuid:file_id>/", staff_only(self.reported_file), name="moderation_report_file"),
            path(
                "file/<uuid:file_id>/thumbnail/",
                staff_only(self.reported_file_thumbnail),
                name="moderation_report_file_thumbnail",
            ),
            *super().get_urls(),
        ]

    def reported_file(self, request: HttpRequest, file_id: UUID) -> HttpResponseBase:
        """The file as the files API hands it to members: a short-lived presigned URL (S3) or the bytes, with
        the same headers (a download unless it is an image Parley verified; never sniffed, sandboxed)."""
        moderator: Any = request.user
        return file_storage.file_response(selectors.reported_file_get(moderator=moderator, file_id=file_id))

    def reported_file_thumbnail(self, request: HttpRequest, file_id: UUID) -> HttpResponseBase:
        moderator: Any = request.user
        stored = selectors.reported_file_get(moderator=moderator, file_id=file_id)
        return file_storage.thumbnail_response(stored)

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
    def remove_message(self, request: HttpRequest, queryset: QuerySet[Report]) -> TemplateResponse | None:
        return _run(
            request,
            list(queryset.select_related("message__sender", "message__conversation")),
            lambda moderator, r, reason: services.message_remove(
                moderator=moderator, message=r.message, reason=reason, report=r
            ),
            "Messages removed",
            reason_required=True,
            confirm=(self, _removing(lambda r: message_label(r.message))),
            counted_by=lambda r: r.message_id,  # its other reports are resolved with it
        )

    @admin.action(description="Suspend the senders of the reported messages", permissions=["suspend"])
    def suspend_sender(self, request: HttpRequest, queryset: QuerySet[Report]) -> TemplateResponse | None:
        """One suspension per sender, answering all of their reports selected (of one message or several)."""
        reports = list(queryset.select_related("message__sender"))
        of_sender: dict[Any, list[Report]] = {}
        for report in reports:
            of_sender.setdefault(report.message.sender_id, []).append(report)

        def act(moderator: Any, report: Report, reason: str) -> bool | None:
            answered = of_sender.pop(report.message.sender_id, None)
            if answered is None:
                return None  # suspended (or refused) with an earlier report of theirs
            return services.user_suspend(
                moderator=moderator, user=report.message.sender, reason=reason, reports=answered
            )

        return _run(
            request,
            reports,
            act,
            "Senders suspended",
            reason_required=True,
            confirm=(self, _suspending(lambda r: r.message.sender.get_username())),
            counted_by=lambda r: r.message.sender_id,
        )

    @admin.action(description="Dismiss the selected reports", permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        dismissed: set[UUID] = set()  # the messages whose open reports this action dismissed

        def act(moderator: Any, report: Report, reason: str) -> bool:
            """Whether this action dismissed the report: itself, or with an earlier one of its message (it
            was open when selected); not one dismissed before."""
            if services.report_dismiss(moderator=moderator, report=report, reason=reason):
                dismissed.add(report.message_id)
            return report.status == Report.Status.OPEN and report.message_id in dismissed

        _run(request, list(queryset), act, "Dismissed")


# --- access: API tokens, login sessions, invitations, webhooks


def _revoke_action(
    description: str, done: str, confirmation: Confirmation
) -> Callable[..., TemplateResponse | None]:
    """An admin's action revoking the selected rows (services.access_revoke: on the record, with the reason
    typed beside the action menu), for whoever has the change permission on them (has_revoke_permission),
    once its confirmation's Yes is pressed."""

    @admin.action(description=description, permissions=["revoke"])
    def revoke(
        model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]
    ) -> TemplateResponse | None:
        return _run(
            request,
            list(queryset),
            lambda moderator, row, reason: services.access_revoke(
                moderator=moderator, target=row, reason=reason
            ),
            done,
            confirm=(model_admin, confirmation),
        )

    return revoke


API_ACCESS_REVOCATION = "Each token stops working at once; its sockets close (4401). It cannot be undone."
SESSION_END = (
    "Each session is signed out at once: its tokens stop working and its sockets close (4401). It cannot be "
    "undone: they log in again."
)
INVITATION_REVOCATION = "Each invitation's link stops working at once. It cannot be undone."
WEBHOOK_REVOCATION = (
    "Each webhook stops posting at once and its bot leaves the conversation for good. It cannot be undone."
)

for model, base_admin, name, description, done, confirmation in [
    (
        ApiToken,
        ApiTokenAdmin,
        "revoke",
        "Revoke the selected tokens",
        "Revoked",
        Confirmation("Revoke these tokens?", API_ACCESS_REVOCATION, "Tokens", "Yes, revoke them", str),
    ),
    (
        LoginSession,
        LoginSessionAdmin,
        "end",
        "Sign the selected sessions out",
        "Signed out",
        Confirmation("Sign these sessions out?", SESSION_END, "Sessions", "Yes, sign them out", str),
    ),
    (
        Invitation,
        InvitationAdmin,
        "revoke",
        "Revoke the selected invitations",
        "Revoked",
        Confirmation(
            "Revoke these invitations?", INVITATION_REVOCATION, "Invitations", "Yes, revoke them", str
        ),
    ),
    (
        Webhook,
        WebhookAdmin,
        "revoke",
        "Revoke the selected webhooks",
        "Revoked",
        Confirmation("Revoke these webhooks?", WEBHOOK_REVOCATION, "Webhooks", "Yes, revoke them", str),
    ),
]:
    admin.site.unregister(model)
    admin.site.register(
        model,
        type(
            f"Audited{base_admin.__name__}",
            (base_admin,),
            {
                "action_form": ReasonActionForm,
                "actions": [name],
                name: _revoke_action(description, done, confirmation),
            },
        ),
    )


# --- audit log


def _audited_models() -> dict[str, type[Model]]:
    """The models with an admin page, by the name an audit entry's target_type gives them (model_name)."""
    return {m._meta.model_name or "": m for m in apps.get_models() if admin.site.is_registered(m)}


def _target_link(entry: AuditEntry, openable: dict[str, type[Model]]) -> str:
    """The entry's target named as recorded (target_repr), a link to its admin page if its type is among those
    the viewer may open (`openable`)."""
    model = openable.get(entry.target_type)
    if model is None:
        return entry.target_repr
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(entry.target_id)])
    return format_html('<a href="{}">{}</a>', url, entry.target_repr)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_username", "action", "target_type", "target_repr", "reason")
    list_filter = ("action", "target_type", "created_at")
    search_fields = ("actor_username", "target_repr", "target_id", "reason")
    date_hierarchy = "created_at"
    readonly_fields = ("actor_name", "target", "report_name")

    def _openable(self, request: HttpRequest) -> dict[str, type[Model]]:
        return {name: m for name, m in _audited_models().items() if _may_open(request, m)}

    def get_list_display(self, request: HttpRequest) -> Any:
        """The target a link to its page where the viewer may open that kind of object (a message, a report, a
        user…), its name otherwise: the link would answer 403."""
        openable = self._openable(request)

        @admin.display(description="target", ordering="target_repr")
        def target_repr(entry: AuditEntry) -> str:
            return _target_link(entry, openable)

        return [target_repr if f == "target_repr" else f for f in super().get_list_display(request)]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """The actor named without a link to staff who may not read users, and the target without one to those
        who may not open its kind: the link would answer 403."""
        fields = [
            f for f in super().get_fields(request, obj) if f not in ("actor_name", "target", "report_name")
        ]
        if obj is not None and obj.target_type in self._openable(request):
            fields = ["target" if f == "target_repr" else f for f in fields]
        return _named_unless_openable(
            request, fields, {"actor": (User, "actor_name"), "report": (Report, "report_name")}
        )

    @admin.display(description="target")
    def target(self, entry: AuditEntry) -> str:
        return _target_link(entry, _audited_models())

    @admin.display(description="report")
    def report_name(self, entry: AuditEntry) -> str | None:
        return str(entry.report) if entry.report else None

    @admin.display(description="actor")
    def actor_name(self, entry: AuditEntry) -> str | None:
        return entry.actor.get_username() if entry.actor else None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
