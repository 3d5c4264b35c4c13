"""How the API's authentication appears in the OpenAPI schema (loaded by AccountsConfig.ready)."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from accounts.permissions import NotWithApiToken


class SuspensionAwareJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.SuspensionAwareJWTAuthentication"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        """Nothing for an operation that refuses API tokens (accounts.permissions.NotWithApiToken)."""
        if any(isinstance(permission, NotWithApiToken) for permission in auto_schema.view.get_permissions()):
            return []
        return [{self.name: []}]

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "pk_<id>_<secret>",
            "description": "A personal or bot API token (POST /api/v1/tokens/ or /api/v1/bots/{id}/tokens/).",
        }
