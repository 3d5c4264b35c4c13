from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Profile", {"fields": ("display_name", "avatar")}))
    list_display = ("username", "display_name", "is_active", "is_staff", "date_joined")
    search_fields = ("username", "display_name", "email")


class ApiTokenAdminForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed and revoked here; one made here is shown once, in the confirmation message."""

    form = ApiTokenAdminForm
    list_display = ("id", "name", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "user__is_bot")
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("user", "name", "created_by", "created_at", "last_used_at", "revoked_at") if obj else ()

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

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            services.api_token_revoke(token=token)
