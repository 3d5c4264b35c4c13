"""A text field of a request body takes a JSON string and nothing else (docs/api.md): a number, true, a list
or an object is a 400 `invalid` naming the field, and nothing is written. DRF's CharField wrote a number as
its text: `{"body": 123}` was sent as the message "123", `{"username": 1e999}` registered the name "inf"."""

import json
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.urls import get_resolver
from rest_framework import serializers
from rest_framework.test import APIClient

from core.serializers import StringOnly
from messaging.models import Message
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.accounts.helpers import client_for, login
from tests.conftest import queued_for_persistence
from tests.messaging.factories import store_message
from tests.notifications.fake_push import Browser

pytestmark = pytest.mark.django_db

# Raw JSON, as an integrator's client would send it (1e999, which Python reads as inf, is not JSON the server
# parses: tests/security/test_malformed_json.py).
NOT_STRINGS = ["123", "1e300", "-0.5", "true", '["hello"]', '{"text": "hello"}']
NEW_PASSWORD = "a new password, long enough"
REGISTRATION = {
    "username": "newcomer",
    "email": "newcomer@example.com",
    "password": NEW_PASSWORD,
    "invitation": "",
}
FILE = {"name": "notes.txt", "size": 5, "content_type": "text/plain"}
PUSH_ENDPOINT = "https://fcm.googleapis.com/fcm/send/text-fields"

# (method, path, who, a valid body, its text fields). Paths name {c} (ada's group with bob), {m} (bob's
# message there), {hook} (the path of a webhook of that group). who: "ada" signed in, or "anyone".
ENDPOINTS: list[tuple[str, str, str, dict[str, Any], list[str]]] = [
    (
        "post",
        "/api/v1/auth/register/",
        "anyone",
        REGISTRATION,
        ["username", "email", "password", "invitation"],
    ),
    (
        "post",
        "/api/v1/auth/token/",
        "anyone",
        {"username": "ada", "password": DEFAULT_PASSWORD, "otp": ""},
        ["username", "password", "otp"],
    ),
    ("post", "/api/v1/auth/token/refresh/", "anyone", {"refresh": "{refresh}"}, ["refresh"]),
    ("post", "/api/v1/auth/logout/", "anyone", {"refresh": "{refresh}"}, ["refresh"]),
    ("patch", "/api/v1/users/me/", "ada", {"display_name": "Ada L."}, ["display_name"]),
    ("post", "/api/v1/tokens/", "ada", {"name": "ci-deploy"}, ["name"]),
    (
        "post",
        "/api/v1/bots/",
        "ada",
        {"username": "ci-bot", "display_name": "CI"},
        ["username", "display_name"],
    ),
    (
        "post",
        "/api/v1/auth/password/change/",
        "ada",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        ["current_password", "new_password"],
    ),
    ("post", "/api/v1/auth/password/reset/", "anyone", {"email": "ada@example.com"}, ["email"]),
    (
        "post",
        "/api/v1/auth/password/reset/confirm/",
        "anyone",
        {"uid": "MQ", "token": "forged", "new_password": NEW_PASSWORD},
        ["uid", "token", "new_password"],
    ),
    ("post", "/api/v1/auth/email/verify/", "anyone", {"token": "forged"}, ["token"]),
    (
        "post",
        "/api/v1/users/me/email/",
        "ada",
        {"email": "ada@new.example.com", "password": DEFAULT_PASSWORD},
        ["email", "password"],
    ),
    ("post", "/api/v1/two-factor/totp/confirm/", "ada", {"code": "123456"}, ["code"]),
    (
        "post",
        "/api/v1/two-factor/disable/",
        "ada",
        {"code": "123456", "password": DEFAULT_PASSWORD},
        ["code", "password"],
    ),
    ("post", "/api/v1/two-factor/recovery-codes/", "ada", {"code": "123456"}, ["code"]),
    ("post", "/api/v1/users/me/export/download/", "anyone", {"token": "forged"}, ["token"]),
    (
        "post",
        "/api/v1/users/me/delete/",
        "ada",
        {"password": DEFAULT_PASSWORD, "code": ""},
        ["password", "code"],
    ),
    ("post", "/api/v1/conversations/", "ada", {"kind": "group", "title": "Plans", "members": []}, ["title"]),
    ("patch", "/api/v1/conversations/{c}/", "ada", {"title": "Renamed"}, ["title"]),
    (
        "post",
        "/api/v1/conversations/{c}/messages/",
        "ada",
        {"body": "hello", "client_id": "{uuid}"},
        ["body"],
    ),
    ("patch", "/api/v1/messages/{m}/", "bob", {"body": "edited"}, ["body"]),
    ("post", "/api/v1/messages/{m}/reactions/", "ada", {"emoji": "👍"}, ["emoji"]),
    ("delete", "/api/v1/messages/{m}/reactions/", "bob", {"emoji": "👀"}, ["emoji"]),
    ("post", "/api/v1/messages/{m}/report/", "ada", {"reason": "spam"}, ["reason"]),
    ("post", "/api/v1/conversations/{c}/webhooks/", "ada", {"name": "CI"}, ["name"]),
    ("post", "{hook}", "anyone", {"text": "built"}, ["text"]),
    ("post", "/api/v1/files/", "ada", FILE, ["name", "content_type"]),
    (
        "post",
        "/api/v1/push/subscriptions/",
        "ada",
        {
            "endpoint": PUSH_ENDPOINT,
            "keys": {"p256dh": "{p256dh}", "auth": "{auth}"},
            "device_name": "Laptop",
        },
        ["endpoint", "keys.p256dh", "keys.auth", "device_name"],
    ),
]

CASES = [
    pytest.param(method, path, who, body, field, id=f"{method} {path} {field}")
    for method, path, who, body, fields in ENDPOINTS
    for field in fields
]


@pytest.fixture
def world(ada, bob, team) -> dict[str, Any]:
    """ada (signed in with a password, as these endpoints require) and bob in a group, a message of bob's
    there with ada's 👀 on it, a webhook of the group and a push subscription's keys: what the endpoints'
    valid bodies name."""
    tokens = login(ada)
    message = store_message(team, bob, 1, "the plan")
    clients = {"ada": client_for(tokens), "bob": client_for(login(bob)), "anyone": APIClient()}
    clients["ada"].post(f"/api/v1/messages/{message.pk}/reactions/", {"emoji": "👀"}, format="json")
    hook = clients["ada"].post(f"/api/v1/conversations/{team.pk}/webhooks/", {"name": "CI"}, format="json")
    browser = Browser(endpoint=PUSH_ENDPOINT, application_server_key="")
    return {
        "clients": clients,
        "c": team.pk,
        "m": message.pk,
        "hook": hook.json()["url"].removeprefix("http://testserver"),
        "refresh": tokens["refresh"],
        "p256dh": browser.p256dh,
        "auth": browser.auth,
    }


def _filled(text: str, world: dict[str, Any]) -> str:
    for name in ("c", "m", "hook", "refresh", "p256dh", "auth"):
        text = text.replace("{%s}" % name, str(world[name]))  # noqa: UP031  (JSON's own braces stay)
    return text.replace("{uuid}", str(uuid.uuid4()))


def _request(world: dict[str, Any], method: str, path: str, who: str, body_json: str):
    client = world["clients"][who]
    return getattr(client, method)(
        _filled(path, world), data=_filled(body_json, world).encode(), content_type="application/json"
    )


def database() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, to show that a refused request wrote nothing."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def _with_value(body: dict[str, Any], field: str, raw: str) -> str:
    """`body` as JSON with `field` (`keys.auth`: nested) set to the raw JSON `raw`."""
    body = json.loads(json.dumps(body))
    *outer, name = field.split(".")
    inner = body
    for key in outer:
        inner = inner[key]
    inner[name] = "\x00placeholder\x00"
    return json.dumps(body, ensure_ascii=False).replace(json.dumps("\x00placeholder\x00"), raw)


def _at(field: str, value: object) -> object:
    """`value` where `field` (`keys.auth`: nested) is in a body."""
    for key in reversed(field.split(".")):
        value = {key: value}
    return value


@pytest.mark.parametrize("raw", NOT_STRINGS)
@pytest.mark.parametrize(("method", "path", "who", "body", "field"), CASES)
def test_a_text_field_refuses_what_is_not_a_string(world, method, path, who, body, field, raw):
    # given
    before = database()

    # when
    response = _request(world, method, path, who, _with_value(body, field, raw))

    # then: a 400 naming the field alone, and nothing written or queued
    assert response.status_code == 400, response.content
    fields = _at(field, ["Not a valid string."])
    assert response.json()["error"] == {"code": "invalid", "detail": "Not a valid string.", "fields": fields}
    assert database() == before
    assert queued_for_persistence() == 0


@pytest.mark.parametrize(
    ("method", "path", "who", "body", "status"),
    [
        ("post", "/api/v1/auth/register/", "anyone", REGISTRATION, 201),
        ("post", "/api/v1/auth/token/", "anyone", {"username": "ada", "password": DEFAULT_PASSWORD}, 200),
        ("patch", "/api/v1/users/me/", "ada", {"display_name": "123"}, 200),
        ("post", "/api/v1/bots/", "ada", {"username": "123", "display_name": "CI"}, 201),
        ("post", "/api/v1/conversations/{c}/messages/", "ada", {"body": "123", "client_id": "{uuid}"}, 202),
        ("patch", "/api/v1/messages/{m}/", "bob", {"body": "true"}, 200),
        ("post", "/api/v1/messages/{m}/reactions/", "ada", {"emoji": "👍"}, 200),
        ("post", "/api/v1/messages/{m}/report/", "ada", {"reason": "1e999"}, 201),
        ("post", "{hook}", "anyone", {"text": "built"}, 202),
        ("post", "/api/v1/files/", "ada", FILE, 201),
    ],
)
def test_strings_are_taken_as_before(world, method, path, who, body, status):
    response = _request(world, method, path, who, json.dumps(body, ensure_ascii=False))
    assert response.status_code == status, response.content


def test_a_message_sent_with_a_number_for_its_body_is_not_sent(world):
    """What the integrator would have seen: the number sent as a message to everyone in the group."""
    body = _with_value({"body": "", "client_id": "{uuid}"}, "body", "123")
    response = _request(world, "post", "/api/v1/conversations/{c}/messages/", "ada", body)
    assert response.status_code == 400
    assert queued_for_persistence() == 0
    assert list(Message.objects.values_list("body", flat=True)) == ["the plan"]


def _text_fields(serializer: serializers.BaseSerializer, prefix: str = "") -> list[tuple[str, object]]:
    """Every text field of a request serializer, nested serializers and list items included."""
    found: list[tuple[str, object]] = []
    for name, field in serializer.fields.items():  # type: ignore[attr-defined]
        while isinstance(field, serializers.ListField | serializers.DictField):
            field = field.child
        if isinstance(field, serializers.Serializer):
            found += _text_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.CharField | serializers.UUIDField):
            found.append((f"{prefix}{name}", field))
    return found


def _input_serializers() -> list[type[serializers.Serializer]]:
    get_resolver().url_patterns  # noqa: B018  (imports every app's api: their serializers exist)
    seen: list[type[serializers.Serializer]] = []
    stack: list[type[serializers.Serializer]] = [serializers.Serializer]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__name__.endswith("InputSerializer") and not cls.__module__.startswith("rest_framework"):
            seen.append(cls)
    return seen


def test_every_request_body_reads_its_text_as_strings_only():
    """The rule for the fields no test above names yet: each text field of a request body (an
    `…InputSerializer`) is one of core.serializers' strict fields."""
    inputs = _input_serializers()
    assert len(inputs) >= 25
    loose = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in inputs
        for name, field in _text_fields(cls())
        if not isinstance(field, StringOnly)
    ]
    assert loose == []
