"""The Django admin's site, whose login is rate-limited like the API's (accounts.api.throttles): per client
address and per account name. Moderators' accounts are the most valuable ones to guess. The admin's default
site (accounts.apps.ParleyAdminConfig installs django.contrib.admin with it): `admin.site` is this one.
A staff member's own "Change password" here is the app's change (accounts.services.password_change)."""

import math
from collections.abc import Sequence
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm, AdminPasswordChangeForm
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import REDIRECT_FIELD_NAME, update_session_auth_hash
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request

from accounts import selectors, services
from accounts.api.throttles import AUTH_THROTTLES

# In an admin session: whether its sign-in gave the second factor (accounts.admin.TwoFactorAdminLoginForm).
SIGNED_IN_WITH_SECOND_FACTOR = "parley_admin_second_factor"


class ParleyAdminSite(admin.AdminSite):
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "POST" and (wait := _login_wait(request)) is not None:
            return self._login_throttled(request, wait)
        response = super().login(request, extra_context)
        # Signed in (a redirect: a refused sign-in shows the form again, whoever the session's user is), so
        # the form took the code of an account that has a second factor.
        if request.method == "POST" and response.status_code == 302 and request.user.is_authenticated:
            has_device = selectors.two_factor_device(user=request.user) is not None
            request.session[SIGNED_IN_WITH_SECOND_FACTOR] = has_device
        return response

    def _login_throttled(self, request: HttpRequest, wait: int) -> HttpResponse:
        """The sign-in page again, saying how long to wait; the password is not checked. The same answer
        whether or not the account exists, as a failed login's is."""
        minutes = max(1, math.ceil(wait / 60))
        form_class = self.login_form or AdminAuthenticationForm
        context = {
            **self.each_context(request),
            "title": "Log in",
            "subtitle": None,
            "app_path": request.get_full_path(),
            "form": form_class(request, initial={"username": request.POST.get("username", "")}),
            REDIRECT_FIELD_NAME: request.POST.get(REDIRECT_FIELD_NAME) or reverse("admin:index"),
            "throttled": f"Too many sign-in attempts. Try again in {minutes} minute{'s' * (minutes > 1)}.",
        }
        request.current_app = self.name
        response = TemplateResponse(request, self.login_template or "admin/login.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response

    def password_change(  # type: ignore[override]  # a redirect once changed, as Django's own
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponseBase:
        """A staff member's own "Change password": as the app's change, every session of theirs in the app
        ends (this admin session stays signed in) and the notice is emailed."""
        view = SessionEndingPasswordChangeView.as_view(
            form_class=AdminPasswordChangeForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
            **({"template_name": self.password_change_template} if self.password_change_template else {}),
        )
        request.current_app = self.name
        return view(request)

    def has_permission(self, request: HttpRequest) -> bool:
        """A session opened without the second factor the account needs now — two-factor authentication turned
        on since, or the account policy requiring it of staff since — is sent to sign in again."""
        if not super().has_permission(request):
            return False
        user: Any = request.user
        if selectors.two_factor_device(user=user) is not None:
            return bool(request.session.get(SIGNED_IN_WITH_SECOND_FACTOR))
        return not selectors.staff_must_set_up_two_factor(user)


class SessionEndingPasswordChangeView(PasswordChangeView):
    def form_valid(self, form: Any) -> HttpResponse:
        services.password_change(
            user=form.user,
            current_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["new_password1"],
            session_id="",  # an admin session is no login session: every one of the app's ends
            site_url=self.request.build_absolute_uri("/"),
        )
        update_session_auth_hash(self.request, form.user)
        messages.info(
            self.request, "Your sessions in the app were signed out: sign in there with the new one."
        )
        return HttpResponseRedirect(self.get_success_url())


def _login_wait(request: HttpRequest) -> int | None:
    """Seconds to wait if this login attempt is over a limit (every attempt counts), else None."""
    form = Request(request, parsers=[FormParser(), MultiPartParser()])
    waits = []
    for throttle_class in AUTH_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(form, None):  # type: ignore[arg-type]
            waits.append(int(throttle.wait() or 1))
    return max(waits, default=None)


def action_confirmation(
    request: HttpRequest,
    model_admin: admin.ModelAdmin,
    *,
    title: str,
    consequence: str,
    listed: str,
    labels: list[str],
    yes: str,
    selected: Sequence[Any],
    reason: str,
) -> TemplateResponse:
    """The page a destructive action shows before it does anything, as Django's delete_selected does: what
    will happen (`consequence`, safe HTML or text), the rows it acts on (`labels` under `listed`), and a
    `yes` button that posts the same action, selection and reason again with post=yes."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "consequence": consequence,
        "listed": listed,
        "labels": labels,
        "yes": yes,
        "selected": list(selected),
        "action": request.POST.get("action", ""),
        "reason": reason,
        "opts": model_admin.opts,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "media": model_admin.media,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/action_confirmation.html", context)
