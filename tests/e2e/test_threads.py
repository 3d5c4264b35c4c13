"""Threads through the UI: replying in a thread, the root's summary and unread marker in the main timeline,
the thread panel beside the conversation (live for both sides, and without an axe violation)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.api import log_in, register
from tests.e2e.axe import axe_violations
from tests.e2e.test_chat_flow import shot

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def test_a_thread_beside_the_conversation(browser, live_server_url):
    # given Ada's question in a group with Grace, each of them on the group's page
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = ada.conversation("group", members=[grace], title="Lunch club")
    ada.say(group, "Lunch plans?")
    pages = {}
    for account in (ada, grace):
        page = browser.new_context(**DESKTOP).new_page()
        log_in(page, account)
        page.goto(f"{live_server_url}/c/{group}")
        expect(page.get_by_test_id("message-body").last).to_have_text("Lunch plans?")
        pages[account.username] = page
    ada_page, grace_page = pages[ada.username], pages[grace.username]

    # when Grace replies in the question's thread
    root = grace_page.get_by_test_id("message").first
    root.hover()
    root.get_by_role("button", name="Open thread").click()
    panel = grace_page.get_by_role("complementary", name="Thread")
    expect(panel.get_by_text("Lunch plans?")).to_be_visible()
    panel.get_by_role("textbox", name="Reply in thread").fill("Tacos at noon")
    panel.get_by_role("textbox", name="Reply in thread").press("Enter")
    expect(panel.get_by_test_id("message").last).to_have_attribute("data-state", "sent")
    expect(panel.get_by_role("button", name="Following")).to_have_attribute("aria-pressed", "true")

    # then the reply stays out of the main timelines, and Ada's shows the thread with its unread reply
    expect(grace_page.get_by_role("region", name="Messages").get_by_test_id("message")).to_have_count(1)
    summary = ada_page.get_by_test_id("thread-summary")
    expect(summary).to_contain_text("1 reply")
    expect(summary).to_contain_text("Last reply")
    expect(summary.get_by_test_id("thread-unread")).to_have_text("1 new")
    expect(ada_page.get_by_test_id("unread-threads")).to_contain_text("1 unread thread")
    expect(ada_page.get_by_test_id("unread-threads-marker")).to_be_attached()
    expect(ada_page.get_by_role("region", name="Messages").get_by_test_id("message")).to_have_count(1)
    unread_violations = axe_violations(ada_page)

    # when Ada opens the thread, the reply is there and nothing in it is unread any more
    summary.click()
    ada_panel = ada_page.get_by_role("complementary", name="Thread")
    expect(ada_panel.get_by_test_id("message-body")).to_have_text(["Tacos at noon"])
    expect(ada_page.get_by_test_id("thread-unread")).to_have_count(0)
    expect(ada_page.get_by_test_id("unread-threads")).to_have_count(0)
    panel_violations = axe_violations(ada_page)
    shot(ada_page, "thread")

    # and her answer in the thread reaches Grace's open panel live, and both roots count two replies
    ada_panel.get_by_role("textbox", name="Reply in thread").fill("See you there")
    ada_panel.get_by_role("button", name="Send to thread").click()
    expect(panel.get_by_test_id("message-body")).to_have_text(["Tacos at noon", "See you there"])
    for page in (ada_page, grace_page):
        expect(page.get_by_test_id("thread-summary")).to_contain_text("2 replies")
        expect(page.get_by_test_id("thread-reply-count")).to_have_text("2 replies")

    # and Escape closes a dialog opened in the thread, not the thread behind it too (it closed both)
    answer = panel.get_by_test_id("message").last
    answer.hover()
    answer.get_by_role("button", name="Report").click()
    report = grace_page.get_by_role("dialog", name="Report message")
    report.get_by_role("button", name="Close").focus()  # not its text box, where the panel ignored Escape
    grace_page.keyboard.press("Escape")
    expect(report).to_have_count(0)
    expect(panel.get_by_test_id("message-body")).to_have_text(["Tacos at noon", "See you there"])

    # and a reply Grace leaves half-written stays with its thread: not in another thread she opens (Enter
    # sent it there), and back when she opens this one again (closing lost it)
    panel.get_by_role("textbox", name="Reply in thread").fill("Half-written about tacos")
    grace_page.get_by_role("textbox", name="Message").fill("Another topic")
    grace_page.get_by_role("textbox", name="Message").press("Enter")
    other = grace_page.get_by_role("region", name="Messages").get_by_test_id("message").last
    expect(other).to_have_attribute("data-state", "sent")
    other.hover()
    other.get_by_role("button", name="Open thread").click()
    expect(panel.get_by_role("textbox", name="Reply in thread")).to_have_value("")
    panel.get_by_role("button", name="Close thread").click()
    root.hover()
    root.get_by_role("button", name="Open thread").click()
    expect(panel.get_by_role("textbox", name="Reply in thread")).to_have_value("Half-written about tacos")

    # and closing the panel gives the conversation its whole width back
    panel.get_by_role("button", name="Close thread").click()
    expect(grace_page.get_by_role("complementary", name="Thread")).to_have_count(0)
    expect(grace_page.get_by_test_id("thread-summary")).to_contain_text(re.compile(r"2 replies"))

    # and an open thread is in the address: a reload keeps it open, and Back closes it, staying in the
    # conversation (Back left the conversation, and a reload lost the thread)
    grace_page.get_by_test_id("thread-summary").click()
    expect(panel).to_be_visible()
    grace_page.reload()
    expect(panel.get_by_test_id("message-body")).to_have_text(["Tacos at noon", "See you there"])
    grace_page.go_back()
    expect(panel).to_have_count(0)
    expect(grace_page.get_by_role("heading", name="Lunch club", level=1)).to_be_visible()

    assert unread_violations == []
    assert panel_violations == []


def test_unfollowing_a_thread_on_one_device_shows_on_the_other(browser, live_server_url):
    # given Grace's answer in the thread of Ada's question, and Ada with the thread open on two devices
    ada, grace = register(live_server_url, "ada"), register(live_server_url, "grace")
    group = ada.conversation("group", members=[grace], title="Lunch club")
    question = ada.say(group, "Lunch plans?")
    grace.say(group, "Tacos at noon", thread_root=question)
    panels = []
    for _device in range(2):
        page = browser.new_context(**DESKTOP).new_page()
        log_in(page, ada)
        page.goto(f"{live_server_url}/c/{group}?thread={question}")
        panel = page.get_by_role("complementary", name="Thread")
        expect(panel.get_by_test_id("message-body")).to_have_text(["Tacos at noon"])
        expect(panel.get_by_role("button", name="Following")).to_have_attribute("aria-pressed", "true")
        panels.append(panel)
    here, there = panels

    # when she unfollows it on one, the other shows it unfollowed at once (it said Following until a reload)
    here.get_by_role("button", name="Following").click()
    expect(there.get_by_role("button", name="Follow", exact=True)).to_have_attribute("aria-pressed", "false")

    # and following it again shows there too
    here.get_by_role("button", name="Follow", exact=True).click()
    expect(there.get_by_role("button", name="Following")).to_have_attribute("aria-pressed", "true")
