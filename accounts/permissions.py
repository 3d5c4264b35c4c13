"""Permissions every API view applies (REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES). DRF imports this module
while rest_framework.views loads, before the apps are: nothing here imports DRF's views or a model at load."""

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

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
