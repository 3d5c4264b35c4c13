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
