"""How the API's authentication appears in the OpenAPI schema (loaded by AccountsConfig.ready)."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SuspensionAwareJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.SuspensionAwareJWTAuthentication"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "pk_<id>_<secret>",
            "description": "A personal or bot API token (POST /api/v1/tokens/ or /api/v1/bots/{id}/tokens/).",
        }
