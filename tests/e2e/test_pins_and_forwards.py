"""Pinned messages and forwards through the UI (issue #26): a pin shows live in every member's header list;
a forward lands in the other conversation, with a link back only for those who may see the original."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.api import log_in, register
from tests.e2e.axe import axe_violations

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1200, "height": 800}}


def test_pin_and_forward(browser, live_server_url):
    # given ada and bob in a team, bob and cy in a side room, and ada's message in the team
    ada, bob, cy = (register(live_server_url, name, name.title()) for name in ("ada", "bob", "cy"))
    team = ada.conversation("group", members=[bob], title="Launch team")
    side = bob.conversation("group", members=[cy], title="Side room")
    ada.say(team, "Ship on **Friday**")
    pages = {}
    for account in (ada, bob, cy):
        context = browser.new_context(**DESKTOP)
        pages[account.username] = page = context.new_page()
        log_in(page, account)
    ada_page, bob_page, cy_page = pages[ada.username], pages[bob.username], pages[cy.username]
    ada_page.goto(f"{live_server_url}/c/{team}")
    bob_page.goto(f"{live_server_url}/c/{team}")
    expect(ada_page.get_by_role("button", name="Pinned (0)")).to_be_visible()

    # when bob pins it from the message's menu
    message = bob_page.get_by_test_id("message").first
    message.hover()
    message.get_by_role("button", name="Pin message").click()

    # then it is pinned for everyone, live, and the header's list shows it
    expect(ada_page.get_by_role("button", name="Pinned (1)")).to_be_visible()
    expect(bob_page.get_by_test_id("message").first).to_contain_text("Pinned")
    ada_page.get_by_role("button", name="Pinned (1)").click()
    pinned = ada_page.get_by_role("dialog", name="Pinned messages")
    expect(pinned.get_by_test_id("pinned-list")).to_contain_text("Ship on Friday")
    found = {"pinned list": axe_violations(ada_page)}
    ada_page.keyboard.press("Escape")
    expect(pinned).to_be_hidden()

    # and bob forwards it to the side room
    message.hover()
    message.get_by_role("button", name="Forward").click()
    dialog = bob_page.get_by_role("dialog", name="Forward message")
    dialog.get_by_role("button", name="Side room").click()
    expect(dialog.get_by_role("status")).to_have_text("Forwarded to Side room.")
    found["forward dialog"] = axe_violations(bob_page)
    bob_page.keyboard.press("Escape")

    # cy, who is not in the team, sees what was forwarded and from whom, without a link back
    cy_page.goto(f"{live_server_url}/c/{side}")
    forwarded = cy_page.get_by_test_id("message").last
    expect(forwarded.get_by_test_id("forwarded")).to_have_text(re.compile("Forwarded from Ada"))
    expect(forwarded.get_by_test_id("message-body")).to_have_text("Ship on Friday")
    expect(forwarded.get_by_role("link", name="View original")).to_have_count(0)
    found["forwarded message"] = axe_violations(cy_page)

    # bob, who is, may delete his forward but not edit it (other words would show under Ada's name), and
    # follows the link back
    bob_page.goto(f"{live_server_url}/c/{side}")
    own_forward = bob_page.get_by_test_id("message").last
    own_forward.hover()
    expect(own_forward.get_by_role("button", name="Delete")).to_be_visible()
    expect(own_forward.get_by_role("button", name="Edit")).to_have_count(0)
    own_forward.get_by_role("link", name="View original").click()
    expect(bob_page.get_by_role("heading", name="Launch team")).to_be_visible()

    # and unpinning it from the list empties everyone's
    bob_page.get_by_role("button", name="Pinned (1)").click()
    bob_page.get_by_role("dialog", name="Pinned messages").get_by_role(
        "button", name=re.compile("^Unpin")
    ).click()
    expect(bob_page.get_by_role("dialog", name="Pinned messages")).to_contain_text(
        "Nothing is pinned here yet."
    )
    expect(ada_page.get_by_role("button", name="Pinned (0)")).to_be_visible()

    assert {screen: v for screen, v in found.items() if v} == {}
    for page in pages.values():
        page.context.close()
