"""Reporting a message from the web app (found by a QA pass: the toolbar had no Report, so members could only
report through the REST API): others' messages offer Report, one's own do not; a dialog asks why, from the
keyboard, says the report was sent, and says in the server's words when it was sent already."""

import pytest
from playwright.sync_api import expect

from tests.e2e.api import log_in, register
from tests.e2e.axe import axe_violations

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1200, "height": 800}}


def test_a_member_reports_another_members_message_from_the_keyboard(browser, live_server_url):
    # given ada and bob in a group, bob's spam and ada's own message in it
    ada, bob = register(live_server_url, "ada", "Ada"), register(live_server_url, "bob", "Bob")
    team = ada.conversation("group", members=[bob], title="Team")
    bob.say(team, "Cheap watches at example.com")
    ada.say(team, "Please stop")
    page = browser.new_context(**DESKTOP).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{team}")
    spam, own = page.get_by_test_id("message").first, page.get_by_test_id("message").last
    expect(spam).to_contain_text("Cheap watches")

    # then ada's own message offers no Report
    own.hover()
    expect(own.get_by_role("button", name="Delete")).to_be_visible()
    expect(own.get_by_role("button", name="Report")).to_have_count(0)

    # when she reports bob's from the keyboard
    report = spam.get_by_role("button", name="Report")
    report.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Report message")
    reason = dialog.get_by_role("textbox", name="Why are you reporting it?")
    expect(reason).to_be_focused()
    expect(dialog).to_contain_text("Only the moderators see it. 1,000 characters left.")
    reason.fill("x" * 1001)  # one too many: kept back, saying so
    expect(dialog).to_contain_text("1 character too long")
    expect(dialog.get_by_role("button", name="Send report")).to_be_disabled()
    reason.fill("Spam: the same link in every channel")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Send report")).to_be_focused()
    page.keyboard.press("Enter")

    # then the dialog says it was sent, focus on Done, and Enter gives focus back to Report
    expect(dialog.get_by_role("status")).to_have_text("Report sent. The moderators will look at it.")
    expect(dialog.get_by_role("button", name="Done")).to_be_focused()
    assert axe_violations(page) == []
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(report).to_be_focused()

    # and a second report is refused in the server's words, as an alert; Escape closes
    page.keyboard.press("Enter")
    dialog.get_by_role("textbox", name="Why are you reporting it?").fill("Again")
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.get_by_role("alert")).to_have_text("You have already reported this message.")
    expect(dialog.get_by_role("button", name="Send report")).to_be_visible()  # she may close it and go on
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(report).to_be_focused()
