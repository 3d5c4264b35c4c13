from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice
from solo.admin import SingletonModelAdmin

import core.ids  # noqa: F401  (registers the `<id:…>` path converter)
from accounts import selectors, services
from accounts.admin_site import action_confirmation
from accounts.exports import data_export_response
from accounts.models import AccountPolicy, ApiToken, DataExport, Invitation, LoginSession, User
from accounts.services.avatars import avatar_encode
from core.admin_actions import WEBHOOKS_OF, RevokedNotDeletedAdmin, may_revoke, say_what_was_done
from core.errors import Refused


class TwoFactorAdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in asks for the two-factor code of those who have it on, and refuses staff the account
    policy requires it of until they have turned it on in the app."""

    otp = forms.CharField(
        label="Two-factor code",
        required=False,
        max_length=32,
        help_text="If two-factor authentication is on: the 6-digit code, or a recovery code.",
    )

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if selectors.staff_must_set_up_two_factor(user):
            raise ValidationError(
                "Turn on two-factor authentication in the app (Settings) first.", code="no_2fa"
            )
        if selectors.two_factor_device(user=user) is None:
            return
        try:
            services.two_factor_verify(user=user, code=self.cleaned_data.get("otp") or "")
        except Refused as refused:
            raise ValidationError(refused.detail, code=refused.code) from refused


admin.site.login_form = TwoFactorAdminLoginForm
admin.site.login_template = "accounts/admin_login.html"


TWO_FACTOR_FIRST = (
    "Turn on two-factor authentication for your own account first (in the app: Settings → Security → "
    "Two-factor authentication): with this on, staff without it cannot use the admin, you included."
)


class AccountPolicyForm(forms.ModelForm):
    """Staff saving the policy (`saver`) cannot turn on "require two-factor for staff" without two-factor
    authentication of their own: the save would sign them out of the admin there and then."""

    saver: Any = None

    class Meta:
        model = AccountPolicy
        fields = ["sign_up", "allowed_email_domains", "email_verification", "require_two_factor_for_staff"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["require_two_factor_for_staff"]
        field.help_text = f"{field.help_text} Only staff who have turned it on themselves can turn this on."

    def clean_require_two_factor_for_staff(self) -> bool:
        required = bool(self.cleaned_data["require_two_factor_for_staff"])
        turning_on = required and not self.initial.get("require_two_factor_for_staff")
        if turning_on and self.saver is not None and selectors.two_factor_device(user=self.saver) is None:
            raise ValidationError(TWO_FACTOR_FIRST, code="no_2fa")
        return required


@admin.register(AccountPolicy)
class AccountPolicyAdmin(SingletonModelAdmin):
    form = AccountPolicyForm

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"saver": request.user})


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Every invitation link (members' and admins'): who made it, how much it was used; revoke from here.
    Admins make links in the app (Settings → Invite people), where the link is shown once."""

    list_display = ("id", "created_by", "uses", "max_uses", "created_at", "expires_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("created_by__username",)
    readonly_fields = list_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return may_revoke(self, request)


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    """Exports people asked for, and those admins started (Users → Export), each downloaded from here while
    its ZIP is kept. The download is the admin's own page (ZIP), behind the admin's sign-in and the view
    permission: no token, so nothing in the browser's history or the downloads list opens it."""

    list_display = ("user", "status", "progress", "created_at", "expires_at", "download")
    readonly_fields = (
        "user",
        "status",
        "progress",
        "size",
        "created_at",
        "finished_at",
        "expires_at",
        "download",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<id:export_id>/download/",
            self.admin_site.admin_view(self.download_zip),
            name="accounts_dataexport_download",
        )
        return [download, *super().get_urls()]

    def download_zip(self, request: HttpRequest, export_id: int) -> StreamingHttpResponse:
        export = self.get_object(request, str(export_id))
        if export is None or not self.has_view_permission(request, export):
            raise Http404
        if not export.is_kept:
            raise Http404("This export is no longer kept.")
        return data_export_response(export)

    @admin.display(description="download")
    def download(self, export: DataExport) -> str:
        if not export.is_kept:
            return "—"
        url = reverse("admin:accounts_dataexport_download", args=[export.pk])
        return format_html('<a href="{}">ZIP</a>', url)


@admin.register(LoginSession)
class LoginSessionAdmin(RevokedNotDeletedAdmin):
    """Who is signed in where; a session ended here is ended everywhere at once, as from the app."""

    list_display = ("user", "device", "ip_address", "created_at", "last_seen_at", "ended_at")
    list_filter = (("ended_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username",)
    readonly_fields = list_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SessionEndingPasswordForm(AdminPasswordChangeForm):
    """A superuser's "Reset password" on a user's page (accounts.services.password_set_by_admin): every
    session of the person ends and every API token of theirs is revoked, so an attacker in a compromised
    account is out, whichever way they got in."""

    signed_out = services.SignedOut(sessions=0, api_tokens=0)  # what the save ended

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["password1"].help_text = format_html(
            "{}<p>Saving signs them out everywhere: every session ends, their API tokens are revoked and "
            "their open pages close. Their bots' tokens and their webhooks keep working.</p>",
            self.fields["password1"].help_text,
        )

    def save(self, commit: bool = True) -> Any:
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        self.signed_out = services.password_set_by_admin(user=self.user, password=password)
        return self.user


class _PictureChecked(forms.ModelForm):
    """A picture given in the admin is held to the API's rules (accounts.services.avatars), refused in the
    form's own words."""

    def clean_avatar(self) -> Any:
        picture = self.cleaned_data.get("avatar")
        if isinstance(picture, UploadedFile):
            try:
                avatar_encode(picture, size=picture.size)
            except Refused as refused:
                raise ValidationError(refused.detail) from None
            picture.seek(0)
        return picture


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Profile", {"fields": ("display_name", "avatar")}))
    list_display = ("username", "display_name", "is_active", "is_staff", "date_joined")
    search_fields = ("username", "display_name", "email")
    actions = ["export_data", "erase"]
    change_password_form = SessionEndingPasswordForm

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> Any:
        """Also called, with its form, once user_change_password has saved a password: say who was signed
        out."""
        if isinstance(form, SessionEndingPasswordForm):
            done = form.signed_out
            messages.info(
                request,
                f"Signed out everywhere: {form.user} (sessions ended: {done.sessions}; API tokens revoked: "
                f"{done.api_tokens}).",
            )
            self._tell_of_bot_tokens(request, form.user)
            self._tell_of_webhooks(request, form.user)
        return super().construct_change_message(request, form, formsets, add)

    def _tell_of_bot_tokens(self, request: HttpRequest, owner: User) -> None:
        """A reset leaves the person's bots' tokens working (password_set_by_admin says why): say how many,
        where to see them, and what stops them all."""
        _tell_of_kept_access(
            request,
            kept=selectors.api_token_live_count_of_bots(owner=owner),
            what="Their bots' tokens still work ({}): each acts only as its bot.",
            changelist="admin:accounts_apitoken_changelist",
            owned_by=BOTS_OF,
            owner=owner,
            where="API tokens",
            then=", or suspend the account, which stops its bots too.",
        )

    def _tell_of_webhooks(self, request: HttpRequest, owner: User) -> None:
        """A reset leaves the webhooks the person made posting, as it leaves their bots' tokens working (an
        integration others rely on, which the reset cannot tell from one an attacker made): say how many, and
        where to review and revoke them."""
        _tell_of_kept_access(
            request,
            kept=selectors.webhook_live_count_of(owner=owner),
            what="The incoming webhooks they made still post ({}): whoever holds a webhook's URL posts as "
            "its bot into its conversation.",
            changelist="admin:messaging_webhook_changelist",  # by name: accounts imports no messaging
            owned_by=WEBHOOKS_OF,
            owner=owner,
            where="Webhooks",
            then=" and revoke any they do not know.",
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "avatar" not in form.base_fields:  # read only (or the add form)
            return form
        return type(form.__name__, (_PictureChecked, form), {})

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # A picture changed here goes the API's way (accounts.services.avatars): re-encoded, the old file
        # deleted once committed, and the people who share a conversation with the user see it at once (a
        # moderator removing an offensive picture).
        picture_changed = change and "avatar" in form.changed_data
        if picture_changed:
            obj.avatar = User.objects.filter(pk=obj.pk).values_list("avatar", flat=True).first() or ""
        super().save_model(request, obj, form, change)
        if picture_changed:
            picture = form.cleaned_data.get("avatar")
            if isinstance(picture, UploadedFile):
                services.user_avatar_set(user=obj, upload=picture, size=picture.size)
            else:
                services.user_avatar_remove(user=obj)
        if change and "display_name" in form.changed_data:  # a moderator fixing a name: live, as the API's
            services.user_profile_announce(user=obj)

    @admin.action(description="Export the selected users' data (see Data exports)", permissions=["delete"])
    def export_data(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            try:
                services.data_export_request(user=user)
            except Refused as refused:
                messages.error(request, f"{user}: {refused.detail}")
        messages.success(request, "The exports are being built: download them from Accounts → Data exports.")

    @admin.action(
        description="Erase the selected users' personal data (cannot be undone)", permissions=["delete"]
    )
    def erase(self, request: HttpRequest, queryset: QuerySet[User]) -> TemplateResponse | None:
        """As delete_selected: a page listing who will be erased first; erased only once confirmed there."""
        if queryset.filter(pk=getattr(request.user, "pk", None) or 0).exists():
            messages.error(
                request,
                "You cannot erase your own account here: unselect it. (Anyone deletes their own account in "
                "the app: Settings → Security → Delete account.)",
            )
            return None
        if request.POST.get("post") != "yes":
            return self._erase_confirmation(request, queryset)
        erased = sum(services.user_erase(user=user) for user in queryset)
        say_what_was_done(request, {"Erased": erased, "erased already": queryset.count() - erased})
        return None

    def _erase_confirmation(self, request: HttpRequest, queryset: QuerySet[User]) -> TemplateResponse:
        users = list(queryset.order_by("username"))
        return action_confirmation(
            request,
            self,
            title="Erase these people's personal data?",
            consequence=ERASURE,
            listed="People",
            labels=[_erasure_label(user) for user in users],
            yes="Yes, erase them",
            selected=[user.pk for user in users],
            reason=request.POST.get("reason", ""),
        )


def _tell_of_kept_access(
    request: HttpRequest,
    *,
    kept: int,
    what: str,
    changelist: str,
    owned_by: str,
    owner: User,
    where: str,
    then: str,
) -> None:
    """After an admin's reset, the access it left working (`kept` of it, `what` says which, with a {} for
    the count), with a link to the unrevoked rows of `changelist` that `owned_by` finds for `owner`."""
    if not kept:
        return
    listing = f"{reverse(changelist)}?{owned_by}={owner.pk}&revoked_at__isempty=1"
    messages.warning(
        request,
        format_html(
            '{} If the account was compromised, <a href="{}">review them in {}</a>{}',
            format_html(what, kept),
            listing,
            where,
            then,
        ),
    )


ERASURE = mark_safe(  # noqa: S308  (our own text)
    "The personal data of these people will be erased, at once and for good: it <strong>cannot be undone"
    "</strong>. Each account stays only as an anonymous “Deleted user”; their sessions end, their files, "
    "tokens and bots go, and their messages are emptied or kept as the retention policy says (see "
    "docs/accounts.md)."
)


def _erasure_label(user: User) -> str:
    name = f"{user.username} ({user.display_name})" if user.display_name else user.username
    email = f" <{user.email}>" if user.email else ""
    return f"{name}{email}" + (" — erased already" if user.erased_at else "")


class ApiTokenAdminForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name"]


BOTS_OF = "user__bot_owner__id__exact"  # the API tokens list's filter for one person's bots' tokens


@admin.register(ApiToken)
class ApiTokenAdmin(RevokedNotDeletedAdmin):
    """Tokens are listed and revoked here; one made here is shown once, in the confirmation message."""

    form = ApiTokenAdminForm
    list_display = ("id", "name", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "user__is_bot")
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("user", "name", "created_by", "created_at", "last_used_at", "revoked_at") if obj else ()

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        """One person's bots' tokens (the link an admin's reset of their password shows), and the filters."""
        return lookup == BOTS_OF or super().lookup_allowed(lookup, value, request)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        creator: Any = request.user
        try:
            token, raw = services.api_token_create(user=obj.user, name=obj.name, created_by=creator)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return
        obj.pk = token.pk
        messages.warning(request, f"The token, shown only now: {raw}")


# django-otp's own admin for TOTP devices shows any user's secret as a QR code: nobody needs that. People
# manage their second factor in the app; staff remove it for someone who lost it (moderation.admin's
# reset_two_factor, audited).
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
