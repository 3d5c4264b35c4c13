import re
import uuid

import pytest

from tests.accounts.factories import UserFactory
from tests.accounts.test_api_tokens import logged_in

pytestmark = pytest.mark.django_db


def test_openapi_schema_describes_the_accounts_api(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/logout/",
        "/api/v1/users/me/",
        "/api/v1/users/",
    ]:
        assert path in paths


def test_the_schema_offers_api_tokens_only_where_they_are_accepted(api_client):
    # credentials are managed from a login session: the schema listed API tokens there, refused with a 403
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]

    def schemes(path: str, method: str) -> set[str]:
        return {name for requirement in paths[path][method]["security"] for name in requirement}

    login_session_only = [
        ("/api/v1/tokens/", "post"),
        ("/api/v1/bots/", "post"),
        ("/api/v1/sessions/", "get"),
        ("/api/v1/conversations/{conversation_id}/webhooks/", "post"),
        ("/api/v1/webhooks/{webhook_id}/rotate/", "post"),
        ("/api/v1/webhooks/{webhook_id}/", "delete"),
    ]
    for path, method in login_session_only:
        assert schemes(path, method) == {"jwtAuth"}, (path, method)
    for path, method in [
        ("/api/v1/conversations/{conversation_id}/webhooks/", "get"),
        ("/api/v1/conversations/{conversation_id}/messages/", "post"),
    ]:
        assert schemes(path, method) == {"jwtAuth", "apiToken"}, (path, method)


def test_interactive_docs_are_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_home_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Parley" in response.content


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/conversations/{conversation_id}/members/{user_id}/", "role"),
        ("/api/v1/messages/{message_id}/", "body"),
    ],
)
def test_a_patch_documents_the_fields_it_requires(api_client, path, field):
    # a role change without its role, or an edit without its body, is a 400: the schema showed both optional
    # (a Patched… component with no `required`, and an optional request body)
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    body = schema["paths"][path]["patch"]["requestBody"]
    component = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert not component.startswith("Patched")
    assert schema["components"]["schemas"][component]["required"] == [field]
    assert body["required"] is True


def test_what_an_answer_shows_is_described_as_shown_not_as_a_form_asks_for_it(api_client):
    # a bot's owner is the caller, never sent (the schema offered it as writable), and a username in an answer
    # was described by the model's form help: "Required. 150 characters or fewer. …"
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert components["Bot"]["properties"]["owner"]["readOnly"] is True
    for name in ("Bot", "Me", "PublicUser", "RegisteredUser", "ConversationMember", "Member"):
        description = components[name]["properties"]["username"]["description"]
        assert description.startswith("Unique: 150 characters or fewer"), name
    said_required = [
        (name, field)
        for name, component in components.items()
        for field, property_ in component.get("properties", {}).items()
        if property_.get("description", "").startswith("Required.")
    ]
    assert not said_required


def _missing(path: str, parameters: list[dict]) -> str:
    """`path` with each of its ids one that is not there."""
    kinds = {p["name"]: p["schema"] for p in parameters if p["in"] == "path"}

    def value(match: re.Match) -> str:
        if match.group(1) == "secret":
            return "wh_987654321_not-a-secret"
        return str(uuid.uuid4()) if kinds[match.group(1)].get("format") == "uuid" else "987654321"

    return re.sub(r"\{(\w+)\}", value, path)


BODIES_NAMING_WHAT_IS_NOT_THERE = {"/api/v1/users/me/export/download/": {"token": "not-a-download-token"}}


def test_every_documented_404_example_says_what_the_endpoint_answers(api_client):
    # The example was "Not found." everywhere, where the API says "No such conversation.", "No such bot.", …
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    client = logged_in(UserFactory(username="integrator"))
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "404" not in operation.get("responses", {}):
                continue
            content = operation["responses"]["404"]["content"]["application/json"]
            example = content.get("example") or next(iter(content["examples"].values()))["value"]
            if "{" in path:
                url = _missing(path, operation.get("parameters", []))
                response = getattr(client, method)(url, {}, format="json")
            elif path in BODIES_NAMING_WHAT_IS_NOT_THERE:
                response = getattr(client, method)(path, BODIES_NAMING_WHAT_IS_NOT_THERE[path], format="json")
            else:  # a list's page past the last
                response = getattr(client, method)(f"{path}?page=987654321")
            assert (response.status_code, response.json()) == (404, example), (method, path)
            checked += 1
    assert checked > 50
