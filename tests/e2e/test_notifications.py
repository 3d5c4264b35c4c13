"""Never missing a message (issue #25 items 2 and 3) in Chromium: the unread count in the tab's title and on
its icon, a desktop notification while the page is hidden (the permission granted in the browser context)
whose click opens the message, the mentions badge, and the Mentions view that jumps to a message."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.api import Account, channel_name, log_in, register
from tests.e2e.axe import axe_violations

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1280, "height": 800}}

# The page's notifications, recorded as the page makes them: a Notification that is an EventTarget (so that a
# test can click it) and keeps what it was given. The permission is the browser context's, untouched.
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__notifications = [];
  class Recorded extends EventTarget {
    constructor(title, options = {}) {
      super();
      Object.assign(this, { title, body: options.body, tag: options.tag, data: options.data, closed: false });
      window.__notifications.push(this);
    }
    close() { this.closed = true; }
    static get permission() { return Real.permission; }
    static requestPermission(...args) { return Real.requestPermission(...args); }
  }
  window.Notification = Recorded;
})();
"""

# The page's socket, watched for the end of its first sync: from then on every message arrives live (what a
# sync replays is never notified), so a test can hide the page and know that what comes next is news.
RECORD_SYNCED = """
(() => {
  const Real = window.WebSocket;
  window.__synced = false;
  window.WebSocket = class extends Real {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        try {
          const frame = JSON.parse(event.data);
          if (frame.type === "sync.done" && !frame.more) window.__synced = true;
        } catch (error) { /* not a frame of ours */ }
      });
    }
  };
})();
"""

# The browser hides the tab (another tab in front, the window minimised): what the page then sees.
HIDE = """() => {
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
  Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
  document.hasFocus = () => false;
  document.dispatchEvent(new Event("visibilitychange"));
  window.dispatchEvent(new Event("blur"));
}"""

SHOW = """() => {
  delete document.visibilityState;
  delete document.hidden;
  document.hasFocus = () => true;
  document.dispatchEvent(new Event("visibilitychange"));
  window.dispatchEvent(new Event("focus"));
}"""


def read_all(account: Account, conversation: int) -> None:
    last = account.call("GET", f"conversations/{conversation}/")["last_seq"]
    account.call("POST", f"conversations/{conversation}/read/", {"seq": last})


def notifications(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(
        "() => window.__notifications.map(n => "
        "({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url}))"
    )


def test_title_icon_mentions_badge_and_the_mentions_view(browser, live_server_url):
    # given Ada in a group with Grace, on the home screen
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = grace.conversation("group", members=[ada], title="Launch")
    for n in range(60):
        grace.say(group, f"status note {n}")
    read_all(ada, group)
    page = browser.new_context(**DESKTOP).new_page()
    log_in(page, ada)
    expect(page).to_have_title("Parley")
    assert "circle" not in page.locator('link[rel="icon"]').get_attribute("href")

    # when Grace writes, once plainly and once naming Ada
    grace.say(group, "Morning all")
    grace.say(group, f"@{ada.username} can you check the forecast?")
    for n in range(60, 70):
        grace.say(group, f"status note {n}")

    # then the title counts both, the icon wears a badge, and the sidebar counts the mention apart
    expect(page).to_have_title("(12) Parley")
    assert "circle" in page.locator('link[rel="icon"]').get_attribute("href")
    link = page.get_by_role("link", name=re.compile("^Launch"))
    expect(link.get_by_test_id("unread-badge")).to_have_text("12")
    expect(link.get_by_test_id("mention-badge")).to_have_text("@1")
    expect(link).to_contain_text("1 mention")
    expect(page.get_by_test_id("mentions-total")).to_have_text("1")
    assert axe_violations(page) == []

    # when Ada opens her mentions
    page.get_by_role("link", name=re.compile(r"^Mentions\b")).click()
    mentions = page.get_by_role("list", name="Messages that mention you")
    item = mentions.get_by_role("link")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Grace Hopper")
    expect(item).to_contain_text("can you check the forecast?")
    assert axe_violations(page) == []

    # then the mention opens the conversation at that message, highlighted, her name marked for her
    item.press("Enter")
    expect(page).to_have_url(re.compile(rf"/c/{group}\?m=\d+$"))
    target = page.locator(".message.highlighted")
    expect(target).to_contain_text("can you check the forecast?")
    expect(target).to_be_in_viewport()
    expect(target.locator(".mention-me")).to_have_text(f"@{ada.username}")
    expect(target).to_have_class(re.compile("mentions-me"))
    assert axe_violations(page) == []

    # and once she reads the conversation, the counts are gone from the title, the icon and the sidebar
    link.click()
    expect(page).to_have_title("Parley")
    expect(link.get_by_test_id("mention-badge")).to_have_count(0)
    assert "circle" not in page.locator('link[rel="icon"]').get_attribute("href")


def test_a_desktop_notification_while_hidden_opens_the_message(browser, live_server_url):
    # given Ada, who allowed notifications, in a group with Grace and in a conversation she set to "nothing"
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = grace.conversation("group", members=[ada], title="Launch")
    quiet = grace.conversation("group", members=[ada], title="Chatter")
    for n in range(60):
        grace.say(group, f"status note {n}")
    read_all(ada, group)
    ada.call("PATCH", f"conversations/{quiet}/", {"notification_level": "none"})
    context = browser.new_context(**DESKTOP)
    context.grant_permissions(["notifications"], origin=live_server_url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    context.add_init_script(RECORD_SYNCED)
    page = context.new_page()
    log_in(page, ada)
    expect(page.get_by_test_id("notifications-banner")).to_have_count(0)  # granted already: nothing to offer
    page.wait_for_function("() => window.__synced")

    # when the tab is hidden and messages come: one where she set nothing, one of her own, then Grace's
    page.evaluate(HIDE)
    grace.say(quiet, "nobody needs to hear this")
    ada.say(group, "I am stepping out")
    grace.say(group, "The forecast is in")

    # then one desktop notification shows, Grace's, that would open Launch at that message
    page.wait_for_function("() => window.__notifications.length > 0")
    seq = grace.call("GET", f"conversations/{group}/")["last_seq"]
    shown = notifications(page)
    assert shown == [
        {
            "title": "Grace Hopper in Launch",
            "body": "The forecast is in",
            "tag": f"conversation-{group}",
            "url": f"/c/{group}?m={seq}",
        }
    ]
    expect(page).to_have_title("(1) Parley")  # Chatter counts nothing

    # when Ada clicks it
    page.evaluate(SHOW)
    page.evaluate("() => window.__notifications[0].dispatchEvent(new Event('click'))")

    # then the conversation opens at that message, and the notification is closed
    expect(page).to_have_url(re.compile(rf"/c/{group}\?m={seq}$"))
    expect(page.locator(".message.highlighted")).to_contain_text("The forecast is in")
    assert page.evaluate("() => window.__notifications[0].closed") is True
    expect(page).to_have_title("Parley")  # the newest message is on screen: read

    # and while she looks at the page, nothing more is notified
    grace.say(group, "Thanks!")
    expect(page.get_by_role("region", name="Messages").get_by_text("Thanks!")).to_be_visible()
    assert len(notifications(page)) == 1


def test_notifications_are_offered_from_a_visible_control_never_on_load(browser, live_server_url):
    ada = register(live_server_url, "ada")
    context = browser.new_context(**DESKTOP)
    context.add_init_script(
        "window.__asked = 0; const ask = Notification.requestPermission.bind(Notification);"
        "Notification.requestPermission = (...a) => { window.__asked += 1; return ask(...a); };"
    )
    page = context.new_page()
    log_in(page, ada)
    offer = page.get_by_role("region", name="Desktop notifications")
    expect(offer).to_be_visible()
    assert page.evaluate("() => window.__asked") == 0  # nothing asked on load
    assert axe_violations(page) == []

    context.grant_permissions(["notifications"], origin=live_server_url)
    offer.get_by_role("button", name="Turn on notifications").click()
    expect(offer).to_have_count(0)
    assert page.evaluate("() => window.__asked") == 1

    page.get_by_role("link", name=re.compile("^Settings for")).click()
    state = page.get_by_test_id("notifications-state")
    expect(state).to_have_text("Desktop notifications are on for this browser.")
    sound = page.get_by_role("checkbox", name="Play a sound with each notification")
    expect(sound).not_to_be_checked()
    sound.check()
    page.reload()
    expect(page.get_by_role("checkbox", name="Play a sound with each notification")).to_be_checked()


def test_at_all_refused_where_only_admins_may_use_it(browser, live_server_url):
    # given a channel (where @all is for its owners and admins) that Ada joined as a plain member
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    channel = grace.conversation("channel", members=[], title=channel_name("announcements"), public=True)
    ada.call("POST", f"conversations/{channel}/join/", {})
    page = browser.new_context(**DESKTOP).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{channel}")

    # when she sends @all there
    box = page.get_by_role("textbox", name="Message", exact=True)
    box.fill("@all lunch is here")
    box.press("Enter")

    # then the message is not sent, and the reason says why
    failed = page.get_by_test_id("message").last
    expect(failed).to_have_attribute("data-state", "failed")
    expect(failed.get_by_role("alert")).to_contain_text(
        "only owners and admins may use @all or @here in this conversation"
    )
    assert axe_violations(page) == []

    # and typing @ and part of a member's name offers her from the channel's members (a channel's
    # conversation lists none: nobody was offered)
    box.fill("")
    box.press_sequentially("Thanks @gra", delay=10)
    offered = page.get_by_role("option", name=re.compile(grace.username))
    expect(offered).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value(f"Thanks @{grace.username} ")


def test_a_mention_in_a_thread_opens_the_thread(browser, live_server_url):
    # given Grace's reply in a thread of their group, naming Ada
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = grace.conversation("group", members=[ada], title="Launch")
    root = grace.say(group, "Countdown plan")
    grace.say(group, f"@{ada.username} T-minus ten is yours", thread_root=root)
    page = browser.new_context(**DESKTOP).new_page()
    log_in(page, ada)

    # then the mention is counted beside the conversation, and listed as in a thread
    link = page.get_by_role("link", name=re.compile("^Launch"))
    expect(link.get_by_test_id("mention-badge")).to_have_text("@1")
    page.get_by_role("link", name=re.compile(r"^Mentions\b")).click()
    item = page.get_by_role("list", name="Messages that mention you").get_by_role("link")
    expect(item).to_contain_text("in a thread in Launch")

    # and it opens the conversation with that thread beside it
    item.click()
    expect(page).to_have_url(re.compile(rf"/c/{group}\?thread="))
    panel = page.get_by_role("complementary", name="Thread")
    expect(panel.get_by_test_id("message-body")).to_have_text([f"@{ada.username} T-minus ten is yours"])
    expect(panel.locator(".mention-me")).to_have_text(f"@{ada.username}")
    assert axe_violations(page) == []


def test_a_conversation_set_to_mentions_only_counts_only_mentions(browser, live_server_url):
    # given Ada in a group with Grace, the group open
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = grace.conversation("group", members=[ada], title="Launch")
    grace.conversation("group", members=[ada], title="Elsewhere")
    page = browser.new_context(**DESKTOP).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")

    # when she sets it to mentions only, from the keyboard, through its bell
    bell = page.get_by_role("button", name="Notification settings (default)")
    bell.focus()
    page.keyboard.press("Enter")
    panel = page.get_by_test_id("conversation-notifications")
    expect(panel.get_by_role("radio", name="My setting for groups (all messages)")).to_be_checked()
    choice = panel.get_by_role("radio", name=re.compile("^Only messages that mention me"))
    choice.focus()
    page.keyboard.press("Space")
    expect(panel.get_by_role("status")).to_have_text("Notification level saved.")
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(page.get_by_role("button", name="Notification settings (mentions only)")).to_be_focused()

    # then, looking at another conversation, a plain message there counts for nothing, a mention counts
    page.get_by_role("link", name=re.compile("^Elsewhere")).click()
    expect(page.get_by_role("heading", name="Elsewhere")).to_be_visible()
    grace.say(group, "Plain news")
    launch = page.get_by_role("link", name=re.compile("^Launch"))
    expect(launch.get_by_test_id("unread-badge")).to_have_text("1")
    expect(page).to_have_title("Parley")
    grace.say(group, f"@{ada.username} over to you")
    expect(launch.get_by_test_id("mention-badge")).to_have_text("@1")
    expect(page).to_have_title("(1) Parley")
