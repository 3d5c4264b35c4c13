"""The API's contract: the OpenAPI schema is valid, documents every endpoint's errors, and the live app keeps
it — a property-based run of schemathesis, in-process against the WSGI app, authenticated with a real token,
must find no 5xx and no answer that breaks the schema."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from django.test.client import Client
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from rest_framework.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.specs.openapi.checks import positive_data_acceptance

from messaging.delivery.eventlog import initialise_counter
from tests.accounts.factories import UserFactory
from tests.messaging.factories import make_conversation, store_message

SCHEMA_URL = "/api/v1/schema/?format=json"
EXAMPLES = 8
# The contract run is about shapes, not limits: high rates keep throttling out of the way, for every scope the
# settings rate (a scope left out had no rate at all: its throttle raised, a 500).
GENEROUS_RATES = {scope: "100000/min" for scope in api_settings.DEFAULT_THROTTLE_RATES}


def load_schema() -> dict:
    response = Client().get(SCHEMA_URL)
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_the_schema_is_valid_openapi():
    validate(load_schema())  # openapi-spec-validator: raises on any violation of the OpenAPI 3 spec


@pytest.mark.django_db
def test_every_operation_documents_its_errors_in_the_error_shape():
    schema = load_schema()
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "429" in responses, (method, path)
            assert "Retry-After" in responses["429"]["headers"]
            if "{" in path:
                assert "404" in responses, (method, path)
            if operation.get("security") != [{}] and path != "/api/v1/hooks/{secret}/":
                assert {"401", "403"} <= set(responses), (method, path)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                assert {"413", "415"} <= set(responses), (method, path)
    # and a send, what only a send answers: 409 (the same key in flight), 415 (a form post), 503 (not
    # durable); a forward is a send too (message_forward posts through message_post)
    for path in (
        "/api/v1/conversations/{conversation_id}/messages/",
        "/api/v1/hooks/{secret}/",
        "/api/v1/messages/{message_id}/forward/",
    ):
        responses = schema["paths"][path]["post"]["responses"]
        for status in ("409", "415", "503"):
            assert responses[status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }


@pytest.mark.django_db
def test_a_400_is_promised_only_where_a_body_or_query_can_be_invalid_or_the_view_says_when():
    schema = load_schema()
    generic = "The request is invalid: see `error.fields`"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            takes_input = "requestBody" in operation or any(
                parameter["in"] == "query" for parameter in operation.get("parameters", [])
            )
            if "400" in operation["responses"] and not takes_input:
                # refused for the state of things (a pin past the limit): the view says when, and its code
                assert operation["responses"]["400"]["description"] != generic, (method, path)
    # nothing to be invalid, nothing refused: no 400 (every non-GET operation used to promise one)
    for method, path in [
        ("delete", "/api/v1/bots/{bot_id}/"),
        ("delete", "/api/v1/bots/{bot_id}/tokens/{token_id}/"),
        ("delete", "/api/v1/webhooks/{webhook_id}/"),
        ("post", "/api/v1/webhooks/{webhook_id}/rotate/"),
        ("delete", "/api/v1/messages/{message_id}/"),
        ("put", "/api/v1/messages/{message_id}/thread/follow/"),
        ("post", "/api/v1/sessions/sign-out-everywhere/"),
        ("post", "/api/v1/users/me/export/"),
    ]:
        assert "400" not in schema["paths"][path][method]["responses"], (method, path)
    # and a no-body operation that is refused for the state of things says so
    pin = schema["paths"]["/api/v1/messages/{message_id}/pin/"]["put"]["responses"]
    assert "50 pins" in pin["400"]["description"]


@pytest.mark.django_db
def test_a_body_too_large_or_not_json_is_answered_as_the_schema_says(auth_headers):
    # given an operation taking a JSON body
    path = "/api/v1/conversations/"
    documented = load_schema()["paths"][path]["post"]["responses"]
    client = Client(headers=auth_headers)
    # when its body is not JSON, or past 2.5 MiB
    not_json = client.post(path, data="kind=group", content_type="text/plain")
    too_large = client.post(
        path, data=b'{"title": "' + b"x" * (3 * 2**20) + b'"}', content_type="application/json"
    )
    # then it answers 415 and 413 in the error shape, and the schema says so
    assert not_json.json()["error"]["code"] == "unsupported_media_type"
    assert too_large.json()["error"]["code"] == "too_large"
    assert {str(not_json.status_code), str(too_large.status_code)} == {"415", "413"} <= set(documented)


@pytest.mark.django_db
def test_a_reaction_taken_back_with_a_form_body_is_answered_as_the_schema_says():
    # given a message of a conversation of the caller's
    user, other = UserFactory(username="reader"), UserFactory(username="writer")
    message = store_message(make_conversation(user, other), other)
    client = Client(headers={"Authorization": f"Bearer {AccessToken.for_user(user)}"})
    path = "/api/v1/messages/{message_id}/reactions/"
    # when it is taken back without ?emoji= and with a body that is not JSON
    response = client.delete(path.format(message_id=message.pk), "emoji=%F0%9F%91%8D", "text/plain")
    # then it is a 415, which the schema promised (it promised only 204 and the usual 400/401/403/404/429)
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert str(response.status_code) in load_schema()["paths"][path]["delete"]["responses"]


@pytest.fixture
def api_schema(db):
    # As Django's test client does: the app must not close the test's connection (and transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with override_settings(REST_FRAMEWORK={**_rest_settings(), "DEFAULT_THROTTLE_RATES": GENEROUS_RATES}):
            yield schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _rest_settings() -> dict:
    from django.conf import settings as django_settings

    return dict(django_settings.REST_FRAMEWORK)


@pytest.fixture
def auth_headers(db):
    user = UserFactory(username="integrator")
    other = UserFactory(username="colleague")
    initialise_counter(make_conversation(user, other, title="Contract").pk)
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


def test_the_live_api_keeps_its_contract(api_schema, auth_headers):
    """Every operation, a few generated requests each (bounded: seconds, not minutes). Not checked: that every
    schema-valid request is accepted — a valid shape can still name an unknown user or a weak password."""
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
        )
        def check(case):
            case.call_and_validate(headers=auth_headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as error:  # noqa: BLE001  (collected, to report every operation at once)
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
