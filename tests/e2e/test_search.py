"""Search (Ctrl/⌘ K) to a message far back in a conversation: it opens there, highlighted, and the rest of
the history loads on scroll. The server is in embedded mode, so this is SQLite's FTS5 index at work."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.api import log_in, register
from tests.e2e.axe import axe_violations

pytestmark = pytest.mark.e2e


def test_search_finds_a_message_and_opens_the_conversation_at_it(browser, live_server_url):
    # given a group whose history is longer than a page, with one message about the forecast far back
    ada, grace = register(live_server_url, "ada"), register(live_server_url, "grace")
    launch = grace.conversation("group", members=[ada], title="Launch")
    for n in range(80):
        sent = grace.say(launch, "The <b>forecast</b> is running late" if n == 10 else f"filler note {n}")
        if n == 20:
            grace.say(launch, "The rocket answer, in its thread", thread_root=sent)
    page = browser.new_context(viewport={"width": 1100, "height": 760}).new_page()
    log_in(page, ada)

    # when Ada opens search from the keyboard and looks for a stemmed word
    page.keyboard.press("Control+K")
    dialog = page.get_by_role("dialog", name="Search messages")
    expect(dialog).to_be_visible()
    box = dialog.get_by_role("combobox")
    expect(box).to_be_focused()
    dialog.get_by_role("button", name="from:").click()
    expect(box).to_have_value("from:@")
    box.fill("forecast run")

    # then the hit shows under its conversation, the matched words marked, the text escaped
    hit = dialog.get_by_role("option")
    expect(hit).to_have_count(1)
    expect(dialog.get_by_role("group", name="Launch")).to_be_visible()
    expect(hit.locator("mark")).to_have_text(["forecast", "running"])
    expect(hit).to_contain_text("<b>forecast</b> is running late")
    expect(hit).to_have_attribute("aria-selected", "true")
    assert axe_violations(page) == []

    # and Enter opens the conversation at that message, highlighted, far from the newest
    box.press("Enter")
    expect(dialog).not_to_be_visible()
    expect(page).to_have_url(re.compile(r"/c/\d+\?m=\d+$"))
    target = page.locator(".message.highlighted")
    expect(target).to_contain_text("is running late")
    expect(target).to_be_in_viewport()
    timeline = page.get_by_role("region", name="Messages")
    expect(timeline.get_by_text("filler note 79")).to_have_count(0)

    # and scrolling down loads the newer messages until the newest
    timeline.evaluate("el => el.scrollTo(0, el.scrollHeight)")
    expect(timeline.get_by_text("filler note 79")).to_be_visible()
    expect(page.get_by_role("button", name="Load newer messages")).to_have_count(0)
    assert axe_violations(page) == []

    # and a hit that is a reply in a thread opens that thread beside the conversation (it opened the
    # conversation alone, the reply nowhere to be seen)
    page.keyboard.press("Control+K")
    dialog.get_by_role("combobox").fill("rocket")
    expect(dialog.get_by_role("option")).to_contain_text("The rocket answer")
    dialog.get_by_role("combobox").press("Enter")
    thread = page.get_by_role("complementary", name="Thread")
    expect(thread.get_by_test_id("message-body").last).to_have_text("The rocket answer, in its thread")
    expect(thread).to_contain_text("filler note 20")


def test_a_hit_on_an_older_reply_of_a_long_thread_opens_the_thread_at_it(browser, live_server_url):
    # given a thread of 70 replies, more than a page, the 5th of them about the forecast
    ada, grace = register(live_server_url, "ada"), register(live_server_url, "grace")
    launch = grace.conversation("group", members=[ada], title="Launch")
    root = grace.say(launch, "Countdown, in its thread")
    for n in range(1, 71):
        body = "The forecast is running late" if n == 5 else f"countdown reply {n}"
        grace.say(launch, body, thread_root=root)
    page = browser.new_context(viewport={"width": 1100, "height": 760}).new_page()
    log_in(page, ada)

    # when Ada searches for it and opens the hit
    page.keyboard.press("Control+K")
    dialog = page.get_by_role("dialog", name="Search messages")
    dialog.get_by_role("combobox").fill("forecast")
    expect(dialog.get_by_role("option")).to_contain_text("The forecast is running late")
    dialog.get_by_role("combobox").press("Enter")

    # then the thread opens beside the conversation at that reply, highlighted and in view (it opened at the
    # newest 50 replies, the hit neither shown nor highlighted until one scrolled up and loaded older ones)
    expect(page).to_have_url(re.compile(r"/c/\d+\?thread=[0-9a-f-]+&reply=\d+$"))
    thread = page.get_by_role("complementary", name="Thread")
    target = thread.locator(".message.highlighted")
    expect(target).to_have_count(1)
    expect(target).to_contain_text("The forecast is running late")
    expect(target).to_be_in_viewport()
    expect(thread.get_by_text("countdown reply 4", exact=True)).to_be_attached()
    expect(thread.get_by_text("countdown reply 70", exact=True)).to_have_count(0)
    assert axe_violations(page) == []

    # and scrolling down loads the newer replies until the newest, each once, and a new reply comes after them
    replies = thread.get_by_role("region", name="Thread replies")
    replies.evaluate("el => el.scrollTo(0, el.scrollHeight)")
    expect(thread.get_by_text("countdown reply 70", exact=True)).to_be_visible()
    expect(thread.get_by_role("button", name="Load newer replies")).to_have_count(0)
    grace.say(launch, "Liftoff", thread_root=root)
    expect(thread.get_by_test_id("message-body").last).to_have_text("Liftoff")
    expect(thread.get_by_test_id("message")).to_have_count(71)
    expect(thread.get_by_test_id("thread-reply-count")).to_have_text("71 replies")
