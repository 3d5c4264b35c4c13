"""A moderator at work in the Django admin, as docs/moderation.md describes: the e2e tests' way to suspend,
reinstate or remove while someone has Parley open."""

import uuid

from playwright.sync_api import Browser, Page, expect

from tests.e2e.api import PASSWORD
from tests.e2e.conftest import LiveServer


def make_moderator(server: LiveServer) -> tuple[str, str]:
    """A new staff account in the Moderators group: (username, password)."""
    username = f"mod{uuid.uuid4().hex[:6]}"
    server.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import Group; from accounts.models import User; "
        f"u = User.objects.create_user(username='{username}', email='{username}@example.com', "
        f"password='{PASSWORD}', is_staff=True); u.groups.add(Group.objects.get(name='Moderators'))",
    )
    return username, PASSWORD


def moderator_signed_in(browser: Browser, server: LiveServer, next_path: str) -> Page:
    """A new moderator's page, signed in to the admin through its login form and sent on to `next_path`."""
    username, password = make_moderator(server)
    page = browser.new_context().new_page()
    page.goto(f"{server.url}/admin/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    return page


def moderate(
    browser: Browser, server: LiveServer, changelist: str, *, search: str, action: str, reason: str, done: str
) -> None:
    """A new moderator signs in to the admin, finds the one row `search` matches on `changelist` (e.g.
    "accounts/user"), runs `action` on it with `reason` (confirming it where the admin asks), and sees the
    admin's summary `done`."""
    page = moderator_signed_in(browser, server, f"/admin/{changelist}/")
    page.goto(f"{server.url}/admin/{changelist}/?q={search.replace(' ', '+')}")
    page.locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option(action)
    page.locator("input[name=reason]").fill(reason)
    with page.expect_navigation():
        page.locator("button[name=index]").click()
    if page.locator("input[name=post]").count():  # Remove and Suspend ask first
        page.get_by_role("button", name="Yes").click()
    expect(page.get_by_text(done)).to_be_visible()
    page.context.close()
