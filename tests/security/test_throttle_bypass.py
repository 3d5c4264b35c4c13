"""Rate limits an attacker cannot step around (issue #21, 2):
- X-Forwarded-For is believed only from TRUSTED_PROXIES (none by default), so a client cannot give each
  request a new address, and behind a trusted proxy the client is the address that proxy saw;
- the per-username login limit counts the account however its name is spelt (padding, case, width,
  look-alike letters), as login finds it;
- the admin's login has the same limits as the API's, and fails the same way for any account;
- every deployment's proxy and web server agree: nginx writes the header, the servers do not rewrite it."""

import re
from pathlib import Path

import pytest
from django.test import Client, RequestFactory, override_settings
from rest_framework.test import APIClient

from core.client_ip import client_ip
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/api/v1/auth/token/"
REGISTER = "/api/v1/auth/register/"
ADMIN_LOGIN = "/admin/login/"
IP_LIMIT, USERNAME_LIMIT = 20, 10  # THROTTLE_AUTH_IP, THROTTLE_AUTH_USERNAME defaults


def login(username: str, *, ip: str = "203.0.113.9", forwarded: str | None = None) -> int:
    meta: dict[str, str] = {"REMOTE_ADDR": ip, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})}
    body = {"username": username, "password": "wrong guess"}
    return APIClient().post(LOGIN, body, format="json", **meta).status_code  # type: ignore[arg-type]


# --- X-Forwarded-For


@pytest.mark.parametrize("path", [LOGIN, REGISTER])
def test_a_forged_forwarded_for_does_not_make_a_new_client(path):
    answers = [
        APIClient()
        .post(
            path,
            {"username": f"guess{n}"},
            format="json",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"10.1.{n}.1",
        )
        .status_code
        for n in range(IP_LIMIT + 1)
    ]
    assert 429 not in answers[:IP_LIMIT]
    assert answers[IP_LIMIT] == 429


def test_the_anonymous_limit_cannot_be_stepped_around_either(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    answers = [
        APIClient()
        .post(
            "/api/v1/auth/token/refresh/",
            {},
            format="json",
            REMOTE_ADDR="203.0.113.10",
            HTTP_X_FORWARDED_FOR=f"10.2.{n}.2",
        )
        .status_code
        for n in range(4)
    ]
    assert answers == [400, 400, 400, 429]  # (no refresh token: a 400, c986d76)


@override_settings(TRUSTED_PROXIES=["10.0.0.0/24"])
def test_behind_a_trusted_proxy_the_client_is_the_address_it_saw():
    # a client behind our proxy (10.0.0.5) forges entries of its own to the left of what the proxy appended
    answers = [
        login(f"guess{n}", ip="10.0.0.5", forwarded=f"6.6.6.{n}, 198.51.100.7") for n in range(IP_LIMIT + 1)
    ]
    assert answers[IP_LIMIT] == 429
    # another real client behind the same proxy has its own limit
    assert login("guess", ip="10.0.0.5", forwarded="198.51.100.8") == 401


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "client"),
    [
        ([], "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # no trusted proxies: the peer, whatever it claims
        (["10.0.0.1"], "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # an untrusted peer's header is ignored
        (["10.0.0.1"], "10.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # what our proxy saw
        (
            ["10.0.0.0/8"],
            "10.0.0.1",
            "1.2.3.4, 198.51.100.7, 10.9.9.9",
            "198.51.100.7",
        ),  # two proxies of ours
        (["10.0.0.0/8"], "10.0.0.1", "10.9.9.9", "10.9.9.9"),  # all ours: the furthest one
        (["10.0.0.1"], "10.0.0.1", "", "10.0.0.1"),  # a trusted peer sending no header
        (["10.0.0.1"], "10.0.0.1", "not-an-address", "10.0.0.1"),
        (["::1"], "::1", "2001:db8::7", "2001:db8::7"),
    ],
)
def test_the_client_address_is_the_first_untrusted_one_from_the_right(trusted, peer, forwarded, client):
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXIES=trusted):
        assert client_ip(request) == client


# --- The per-username limit


def test_respelling_a_username_does_not_buy_more_guesses():
    UserFactory(username="alice")
    spellings = [
        "alice",
        "Alice",
        " alice ",
        "ALICE",
        "ａｌｉｃｅ",
        "ＡＬＩＣＥ",
        "\u0430lice",
        "alice\t",
        "aLiCe",
        "alIce",
    ]
    assert len(spellings) == USERNAME_LIMIT
    answers = [login(name, ip=f"198.51.100.{n}") for n, name in enumerate(spellings)]
    assert answers == [401] * USERNAME_LIMIT
    assert login("Ａlice", ip="198.51.100.99") == 429


# --- The admin's login


def admin_login(username: str, *, ip: str, password: str = "wrong guess"):  # noqa: S107
    return Client().post(ADMIN_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_admin_login_is_limited_per_address():
    answers = [admin_login(f"mod{n}", ip="203.0.113.20").status_code for n in range(IP_LIMIT + 1)]
    assert answers[:IP_LIMIT] == [200] * IP_LIMIT  # the form again, with its error
    assert answers[IP_LIMIT] == 429


def test_the_admin_login_is_limited_per_account_however_spelt():
    UserFactory(username="moderator", is_staff=True)
    answers = [
        admin_login("Moderator " if n % 2 else "moderator", ip=f"198.51.100.{n}").status_code
        for n in range(11)
    ]
    assert answers[:USERNAME_LIMIT] == [200] * USERNAME_LIMIT
    throttled = admin_login("MODERATOR", ip="198.51.100.200")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0


def test_a_throttled_admin_login_is_the_login_page_saying_how_long_to_wait():
    for n in range(USERNAME_LIMIT):
        admin_login("moderator", ip=f"198.51.100.{n}")

    throttled = admin_login("moderator", ip="198.51.100.200")

    # the admin's own page (its style, the form to try again), not a bare line of text
    assert throttled.status_code == 429
    assert throttled["Content-Type"].startswith("text/html")
    page = throttled.content.decode()
    assert 'id="login-form"' in page
    assert "admin/css/" in page
    assert _error_text(throttled) == "Too many sign-in attempts. Try again in 1 minute."


def _error_text(response) -> str:
    note = re.search(r'<p class="errornote">(.*?)</p>', response.content.decode(), re.S)
    assert note is not None
    return re.sub(r"\s+", " ", note.group(1)).strip()


def _without_name_and_token(response, username: str) -> str:
    """The page but for the name typed (kept in its box) and the form's CSRF token (new on every page)."""
    page = response.content.decode().replace(f'value="{username}"', 'value=""')
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_the_admin_login_fails_the_same_way_for_any_account():
    UserFactory(username="moderator", is_staff=True)
    UserFactory(username="suspended-mod", is_staff=True, is_active=False)
    UserFactory(username="not-staff")
    failures = [
        admin_login("moderator", ip="198.51.100.1"),  # wrong password
        admin_login("nobody-at-all", ip="198.51.100.2"),  # no such account
        admin_login("suspended-mod", ip="198.51.100.3", password=DEFAULT_PASSWORD),  # inactive
        admin_login("not-staff", ip="198.51.100.4", password=DEFAULT_PASSWORD),  # not staff
    ]
    assert {response.status_code for response in failures} == {200}
    assert len({_error_text(response) for response in failures}) == 1
    # and once over the limit, the answer is the same whether or not the account exists
    for n in range(USERNAME_LIMIT):
        admin_login("moderator", ip=f"192.0.2.{n}")
        admin_login("nobody-at-all", ip=f"192.0.2.{n + 100}")
    over = [admin_login(name, ip="192.0.2.250") for name in ("moderator", "nobody-at-all")]
    assert [r.status_code for r in over] == [429, 429]
    assert _error_text(over[0]) == _error_text(over[1])
    assert _without_name_and_token(over[0], "moderator") == _without_name_and_token(over[1], "nobody-at-all")


def test_the_admin_login_still_lets_a_moderator_in():
    UserFactory(username="moderator", is_staff=True)
    response = admin_login("moderator", ip="198.51.100.5", password=DEFAULT_PASSWORD)
    assert response.status_code == 302


# --- Every deployment agrees


def test_every_edge_proxy_writes_the_forwarded_for_header_itself_and_no_server_rewrites_it():
    for config in (ROOT / "docker" / "nginx.conf", ROOT / "scripts" / "stack.sh"):
        text = config.read_text()
        assert re.search(r"proxy_set_header X-Forwarded-For \\?\$remote_addr;", text), config
        assert "proxy_add_x_forwarded_for;" not in text.replace("($proxy_add_x_forwarded_for)", ""), config
    assert "--no-proxy-headers" in (ROOT / "scripts" / "web-server").read_text()
    for path in ("docker/Dockerfile", "docker/compose.yaml", "scripts/stack.sh", "tests/e2e/conftest.py"):
        text = (ROOT / path).read_text()
        assert '"--proxy-headers"' not in text, path
        assert " --proxy-headers " not in text, path
        assert "FORWARDED_ALLOW_IPS" not in text, path
    assert "TRUSTED_PROXIES" in (ROOT / "docker" / "compose.yaml").read_text()
    assert "TRUSTED_PROXIES" in (ROOT / "docker" / "k8s" / "configmap.yaml").read_text()
    assert 'TRUSTED_PROXIES="${TRUSTED_PROXIES:-127.0.0.1}"' in (ROOT / "scripts" / "stack.sh").read_text()
