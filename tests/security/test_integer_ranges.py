"""Ids and seqs beyond what an integer column holds (2**63 - 1) are refused at the boundary: in a path the
answer to an id not there (tests/test_path_ids.py), a 400 naming the field for a body or a query, never a
500 — on PostgreSQL (the tests' database) and on SQLite (the embedded mode, where the database itself raises
on such a number)."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers

from core.ids import NO_ID, IdConverter
from core.serializers import StrictIntegerField
from tests.accounts.factories import UserFactory
from tests.live_server import ROOT, embedded_env, free_port, wait_until_up
from tests.messaging.factories import make_conversation
from tests.security.test_attacks import bearer

TOO_BIG = [2**63, 10**30]
ID_PATHS = [
    ("get", "/api/v1/conversations/{n}/"),
    ("get", "/api/v1/conversations/{n}/messages/"),
    ("post", "/api/v1/conversations/{n}/join/"),
    ("delete", "/api/v1/conversations/{c}/members/{n}/"),
    ("get", "/api/v1/conversations/{n}/webhooks/"),
    ("delete", "/api/v1/webhooks/{n}/"),
    ("delete", "/api/v1/tokens/{n}/"),
    ("get", "/api/v1/bots/{n}/"),
    ("delete", "/api/v1/push/subscriptions/{n}/"),
]


def _integer_patterns() -> Iterator[tuple[str, str, object]]:
    """(route, parameter, converter) of every URL parameter that takes a number."""

    def walk(patterns, prefix: str) -> Iterator[tuple[str, str, object]]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            for name, converter in getattr(pattern.pattern, "converters", {}).items():
                if isinstance(converter, IdConverter):
                    yield route, name, converter
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            else:
                assert isinstance(pattern, URLPattern)

    return walk(get_resolver().url_patterns, "/")


def test_every_numeric_url_parameter_refuses_numbers_no_id_column_holds():
    patterns = list(_integer_patterns())
    assert len(patterns) >= 10  # conversations, members, webhooks, tokens, bots, push subscriptions
    for route, name, converter in patterns:
        for number in TOO_BIG:
            # no row has it: the view's own 404, as for an id not there (tests/test_path_ids.py)
            assert converter.to_python(str(number)) == NO_ID, (route, name)
        assert converter.to_python(str(2**63 - 1)) == 2**63 - 1, (route, name)


@pytest.fixture
def members(transactional_db):
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    return ada, bob, make_conversation(ada, bob, title="Team")


@pytest.mark.parametrize(("method", "path"), ID_PATHS)
@pytest.mark.parametrize("number", TOO_BIG)
def test_out_of_range_ids_in_paths_are_answered_as_ids_not_there(members, method, path, number):
    ada, _, team = members
    response = getattr(bearer(ada), method)(path.format(n=number, c=team.pk))
    missing = getattr(bearer(ada), method)(path.format(n=987654321, c=team.pk))
    # a 404 (for a member who is not one, DELETE …/members/{n}/, "No such member."): never a 500
    assert (response.status_code, response.json()) == (missing.status_code, missing.json())
    assert response.status_code == 404, response.content


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/conversations/", {"kind": "group", "title": "x", "members": ["{n}"]}, "members"),
        ("post", "/api/v1/conversations/{c}/members/", {"user": "{n}"}, "user"),
        ("post", "/api/v1/conversations/{c}/read/", {"seq": "{n}"}, "seq"),
        ("get", "/api/v1/conversations/{c}/messages/", {"before_seq": "{n}"}, "before_seq"),
        ("get", "/api/v1/conversations/{c}/messages/", {"after_seq": "{n}"}, "after_seq"),
        ("get", "/api/v1/users/", {"ids": "{n}"}, "ids"),
    ],
)
@pytest.mark.parametrize("number", TOO_BIG)
def test_out_of_range_numbers_in_bodies_and_queries_are_400_naming_the_field(
    members, method, path, body, field, number
):
    ada, _, team = members
    data = json.loads(json.dumps(body).replace('"{n}"', str(number)))
    client = bearer(ada)
    if method == "get":
        response = client.get(path.format(c=team.pk), data)
    else:
        response = client.post(path.format(c=team.pk), data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


# Whole numbers as Python's int() reads them but no client writes them: Unicode digits (an Arabic-Indic 3, a
# fullwidth 7), digit group underscores, spaces, a plus sign, a trailing .0, JSON true or 7.0.
NOT_WHOLE_NUMBERS = ["\u0663", "\uff17", "1_0", " 7", "+7", "7.0", True, 7.0]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/api/v1/users/", {"ids": "{n}"}, "ids"),
        ("get", "/api/v1/conversations/{c}/messages/", {"before_seq": "{n}"}, "before_seq"),
        ("get", "/api/v1/conversations/{c}/messages/", {"limit": "{n}"}, "limit"),
        ("get", "/api/v1/mentions/", {"limit": "{n}"}, "limit"),
        ("post", "/api/v1/conversations/", {"kind": "group", "title": "x", "members": ["{n}"]}, "members"),
        ("post", "/api/v1/conversations/{c}/read/", {"seq": "{n}"}, "seq"),
        ("post", "/api/v1/blocks/", {"user": "{n}"}, "user"),
        ("post", "/api/v1/files/", {"name": "a.txt", "size": "{n}"}, "size"),
    ],
)
@pytest.mark.parametrize("number", NOT_WHOLE_NUMBERS, ids=repr)
def test_a_whole_number_is_ascii_digits_or_a_json_integer_and_nothing_else(
    members, method, path, body, field, number
):
    ada, _, team = members
    client = bearer(ada)
    if method == "get":
        # a query carries text: true and 7.0 as "true" and "7.0"
        text = number if isinstance(number, str) else json.dumps(number)
        data = {key: text if value == "{n}" else value for key, value in body.items()}
        response = client.get(path.format(c=team.pk), data)
    else:
        data = json.loads(json.dumps(body).replace('"{n}"', json.dumps(number)))
        response = client.post(path.format(c=team.pk), data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_every_whole_number_of_a_request_is_strict():
    """The rule for the fields the test above does not name: each IntegerField of a request body or query
    (an `…InputSerializer` or `…ParamsSerializer`) is core.serializers.StrictIntegerField."""
    get_resolver().url_patterns  # noqa: B018  (imports every app's api: their serializers exist)
    stack, found = list(serializers.Serializer.__subclasses__()), []
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__name__.endswith(("InputSerializer", "ParamsSerializer")):
            for name, field in cls().fields.items():
                field = getattr(field, "child", field)
                if isinstance(field, serializers.IntegerField):
                    found.append((f"{cls.__module__}.{cls.__name__}.{name}", field))
    assert len(found) >= 10
    assert [name for name, field in found if not isinstance(field, StrictIntegerField)] == []


# --- The embedded mode (SQLite), where the database itself raises on such numbers


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("parley-ids")
    env = embedded_env(data_dir)
    port = free_port()
    daphne = Path(sys.executable).with_name("daphne")
    with (data_dir / "daphne.log").open("wb") as log:
        process = subprocess.Popen(
            [str(daphne), "-b", "127.0.0.1", "-p", str(port), "chatproject.asgi:application"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{url}/healthz", process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def _call(url: str, method: str, path: str, token: str = "", body: object = None) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 (a loopback URL we made)
        url + path,
        method=method.upper(),
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_the_embedded_mode_answers_out_of_range_ids_without_a_500(embedded_server):
    name = f"u{uuid.uuid4().hex[:8]}"
    password = "a long enough passphrase 42"
    credentials = {"username": name, "password": password}
    assert (
        _call(embedded_server, "post", "/api/v1/auth/register/", body={**credentials, "email": "u@x.test"})[0]
        == 201
    )
    token = _call(embedded_server, "post", "/api/v1/auth/token/", body=credentials)[1]["access"]
    status, team = _call(
        embedded_server,
        "post",
        "/api/v1/conversations/",
        token,
        {"kind": "group", "title": "T", "members": []},
    )
    assert status == 201, team
    number = 10**30
    for method, path in ID_PATHS:
        status, _ = _call(embedded_server, method, path.format(n=number, c=team["id"]), token)
        missing, _ = _call(embedded_server, method, path.format(n=987654321, c=team["id"]), token)
        assert status == missing, (method, path, status)
        assert status in (400, 404), (method, path, status)
    status, answer = _call(
        embedded_server,
        "post",
        "/api/v1/conversations/",
        token,
        {"kind": "group", "title": "x", "members": [number]},
    )
    assert status == 400, answer
    status, answer = _call(embedded_server, "get", f"/api/v1/users/?ids={number}", token)
    assert (status, list(answer.get("error", {}).get("fields", {}))) == (400, ["ids"]), answer
