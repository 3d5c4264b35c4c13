"""A suspended account's open pages in Chromium: a moderator suspends someone in the admin while they have
Parley open on two devices, one of them offline with a message on its way; then reinstates them."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.admin import moderate
from tests.e2e.api import log_in, register

pytestmark = pytest.mark.e2e

SUSPENDED = "your account is suspended"


def log_in_again(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_suspended_account_is_signed_out_everywhere_and_its_unsent_message_kept(browser, parley_server):
    # given Ada in a direct conversation with Bob, open on her desktop and on her laptop
    url = parley_server.url
    ada, bob = register(url, "ada", "Ada"), register(url, "bob", "Bob")
    direct = bob.conversation("direct", members=[ada])
    bob.say(direct, "hello Ada")
    desk, laptop = browser.new_context().new_page(), browser.new_context().new_page()
    for page in (desk, laptop):
        log_in(page, ada)
        page.goto(f"{url}/c/{direct}")
        expect(page.get_by_test_id("message-body").last).to_have_text("hello Ada")
    # and the laptop, offline, holds a message on its way
    laptop.context.set_offline(True)
    laptop.get_by_role("textbox", name="Message").fill("written on the train")
    laptop.get_by_role("textbox", name="Message").press("Enter")
    expect(laptop.get_by_text("Sending…")).to_be_visible()

    # when a moderator suspends her
    moderate(
        browser,
        parley_server,
        "accounts/user",
        search=ada.username,
        action="suspend",
        reason="spam",
        done="Suspended: 1.",
    )

    # then the desktop goes to the login screen at once, saying why (it stayed in the conversation, the
    # message box on, with a "Disconnected" banner)
    expect(desk.get_by_role("heading", name="Log in")).to_be_visible()
    expect(desk.get_by_role("status")).to_contain_text(SUSPENDED)
    expect(desk.get_by_role("textbox", name="Message")).to_have_count(0)
    # and the laptop, back online, too, saying its message was not sent (it stayed "Sending…" for good)
    laptop.context.set_offline(False)
    expect(laptop.get_by_role("heading", name="Log in")).to_be_visible()
    expect(laptop.get_by_role("status")).to_contain_text(SUSPENDED)
    expect(laptop.get_by_role("status")).to_contain_text("1 message you wrote was not sent")
    # and after a reload the desktop still says so (it showed a bare login screen)
    desk.reload()
    expect(desk.get_by_role("status")).to_contain_text(SUSPENDED)
    # and logging in is refused, saying why
    log_in_again(desk, ada.username, "a long enough passphrase 42")
    expect(desk.get_by_role("alert")).to_contain_text("This account is suspended")

    # when she is reinstated and logs in on the laptop
    moderate(
        browser,
        parley_server,
        "accounts/user",
        search=ada.username,
        action="reinstate",
        reason="spam",
        done="Reinstated: 1.",
    )
    log_in_again(laptop, ada.username, "a long enough passphrase 42")
    expect(laptop.get_by_role("navigation", name="Conversations")).to_be_visible()
    laptop.goto(f"{url}/c/{direct}")

    # then her message is there, not sent, saying why; Retry sends it
    refused = laptop.get_by_role("alert").filter(has_text="Not sent")
    expect(refused).to_contain_text("your account was suspended")
    refused.get_by_role("button", name="Retry").click()
    expect(laptop.get_by_test_id("message").last).to_have_attribute("data-state", "sent")
    expect(refused).to_have_count(0)
    # and Bob has it, once
    bodies = [m["body"] for m in bob.call("GET", f"conversations/{direct}/messages/")["results"]]
    assert bodies.count("written on the train") == 1
