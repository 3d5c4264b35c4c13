from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    default = True

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI authentication extensions)


class ParleyAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, on a site whose login is rate-limited (accounts.admin_site)."""

    default = False  # named in INSTALLED_APPS by its full path, never picked for "accounts"
    default_site = "accounts.admin_site.ParleyAdminSite"
