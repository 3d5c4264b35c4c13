"""Every screen and dialog, in both themes, on a desktop and on a phone: no axe violation of any impact."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.api import Account, channel_name, log_in, register
from tests.e2e.axe import axe_violations

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 800}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def people(live_server_url: str) -> tuple[Account, int]:
    """Ada, in a group with Grace where something was said (Markdown, a reply in a thread, a reaction, a
    mention of Ada), and a channel."""
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = ada.conversation("group", members=[grace], title="Launch team")
    first = ada.say(group, "Did the **engine** notes land? See `section G`.")
    grace.call("POST", f"messages/{first}/reactions/", {"emoji": "🎉"})
    grace.say(group, "The **notes** are in the shared drive.", thread_root=first)
    grace.say(group, f"@{ada.username} they did — and https://example.com has the rest.")
    ada.conversation("channel", members=[], title=channel_name("general"), public=True)
    return ada, group


def screens(page: Page, base_url: str, group: int):
    """Each screen once it has settled: (name, what shows it is ready)."""
    yield "home", "/", page.get_by_role("link", name="Launch team")
    yield "conversation", f"/c/{group}", page.get_by_test_id("message-body").last
    yield "settings", "/settings", page.get_by_label("Direct messages")
    yield "new message", "/new/direct", page.get_by_label("Search people")
    yield "new group", "/new/group", page.get_by_label("Group name")
    yield "channels", "/channels", page.get_by_role("button", name="Open")
    yield "mentions", "/mentions", page.get_by_role("list", name="Messages that mention you")


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_screen_passes_axe(browser, live_server_url, people, theme, device):
    ada, group = people
    context = browser.new_context(color_scheme=theme, **device)
    page = context.new_page()
    found: dict[str, list] = {}

    page.goto(f"{live_server_url}/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    found["login"] = axe_violations(page)
    log_in(page, ada)
    for name, path, ready in screens(page, live_server_url, group):
        page.goto(f"{live_server_url}{path}")
        expect(ready).to_be_visible()
        found[name] = axe_violations(page)
    # and the dialogs: the emoji picker, the keyboard help, the members (Ada, the owner, sees their roles to
    # change) and the group's own settings
    page.goto(f"{live_server_url}/c/{group}")
    page.get_by_role("button", name="Insert emoji").click()
    expect(page.get_by_role("dialog", name="Insert an emoji").get_by_role("tab").first).to_be_visible()
    found["emoji picker"] = axe_violations(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Slash")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    found["keyboard help"] = axe_violations(page)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="2 members").click()
    expect(page.get_by_role("dialog", name="Members of Launch team").get_by_role("listitem")).to_have_count(2)
    found["members"] = axe_violations(page)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Edit conversation").click()
    expect(page.get_by_role("dialog", name="Edit Launch team").get_by_label("Name")).to_have_value(
        "Launch team"
    )
    found["edit"] = axe_violations(page)
    page.keyboard.press("Escape")
    # and a thread, open beside the conversation (over it on a phone)
    page.get_by_test_id("thread-summary").click()
    expect(page.get_by_role("complementary", name="Thread").get_by_test_id("message-body")).to_be_visible()
    found["thread"] = axe_violations(page)
    page.get_by_role("button", name="Close thread").click()
    # and the conversation's notification settings (Ada owns the group: the @all policy shows too)
    page.get_by_role("button", name="Notification settings (default)").click()
    expect(page.get_by_role("group", name="Who may use @all and @here")).to_be_visible()
    found["notification settings"] = axe_violations(page)
    context.close()

    assert {screen: v for screen, v in found.items() if v} == {}
