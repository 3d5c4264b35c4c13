"""Setting the scene for a browser test through the REST API: people, conversations, messages."""

import json
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

PASSWORD = "a long enough passphrase 42"


@dataclass
class Account:
    base_url: str
    username: str
    id: int
    token: str

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return call(self.base_url, method, path, body, token=self.token)

    def conversation(
        self, kind: str, *, members: list["Account"], title: str = "", public: bool = False
    ) -> int:
        body = {"kind": kind, "members": [m.id for m in members], "title": title, "is_public": public}
        return self.call("POST", "conversations/", body)["id"]

    def say(self, conversation: int, body: str, *, thread_root: str | None = None) -> str:
        message = {"body": body, "client_id": str(uuid.uuid4()), "thread_root": thread_root}
        sent = self.call("POST", f"conversations/{conversation}/messages/", message)
        return sent["id"]


def channel_name(name: str) -> str:
    """A public channel's name for one test: no two public channels share a name, and the browser tests share
    one database."""
    return f"{name}-{uuid.uuid4().hex[:6]}"


def call(base_url: str, method: str, path: str, body: dict[str, Any] | None = None, token: str = "") -> Any:
    request = urllib.request.Request(  # noqa: S310 (the live server's loopback URL)
        f"{base_url}/api/v1/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        text = response.read()
    return json.loads(text) if text else None


def register(base_url: str, name: str, display_name: str = "") -> Account:
    username = f"{name}{uuid.uuid4().hex[:6]}"
    user = call(
        base_url,
        "POST",
        "auth/register/",
        {"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    token = call(base_url, "POST", "auth/token/", {"username": username, "password": PASSWORD})["access"]
    account = Account(base_url, username, user["id"], token)
    if display_name:
        account.call("PATCH", "users/me/", {"display_name": display_name})
    return account


def log_in(page: Any, account: Account) -> None:
    """Through the login screen, as a person would."""
    from playwright.sync_api import expect

    page.goto(f"{account.base_url}/login")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Conversations")).to_be_attached()
