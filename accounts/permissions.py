"""Permissions every API view applies (REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES). DRF imports this module
while rest_framework.views loads, before the apps are: nothing here imports DRF's views or a model at load."""

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission, IsAuthenticated

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class StaffHasTwoFactor(BasePermission):
    """When the account policy requires it, staff use nothing but their account's own settings until they have
    turned two-factor authentication on. Views a person needs to do that say `open_before_two_factor`."""

    code = "two_factor_required"
    message = "Staff must use two-factor authentication here: turn it on in Settings first."

    def has_permission(self, request: "Request", view: "APIView") -> bool:
        from accounts import selectors

        user = request.user
        if not (user and user.is_authenticated and user.is_staff) or getattr(
            view, "open_before_two_factor", False
        ):
            return True
        return not selectors.staff_must_set_up_two_factor(user)


class NotWithApiToken(BasePermission):
    """Credentials — API tokens, bots, webhooks — are managed from a login session (a JWT), so a leaked token
    cannot mint more, nor anything that outlives its revocation. accounts.schema leaves the API token out of
    these operations' security."""

    message = "Do this after logging in with your password, not with an API token."

    def has_permission(self, request: "Request", view: "APIView") -> bool:
        from accounts.authentication import authenticated_by_api_token

        return not authenticated_by_api_token(request)


# The permissions of a view for a login session only: credentials' management, account security.
LOGIN_SESSION_ONLY = [IsAuthenticated, StaffHasTwoFactor, NotWithApiToken]
