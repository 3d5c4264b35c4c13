"""On a phone or a tablet, every screen fits the screen's width, whatever people wrote."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.api import log_in, register

pytestmark = pytest.mark.e2e

LONG_LINK = "https://example.com/" + "a" * 160  # one word: no line break fits inside it


def overflow(page: Page) -> int:
    """How far the page is wider than the screen (it scrolls sideways by that much), in CSS pixels."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_a_long_last_message_keeps_the_conversation_list_within_a_phone_screen(browser, live_server_url):
    # given a group whose last message is one long link, as its preview in the list shows
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    group = ada.conversation("group", members=[grace], title="Launch team")
    grace.say(group, f"The notes: {LONG_LINK}")
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()

    # when Ada opens Parley on a 360 px phone
    log_in(page, ada)
    expect(page.get_by_role("link", name="Launch team")).to_be_visible()

    # then the list fits the screen: nothing scrolls sideways and the header's buttons are on screen
    assert overflow(page) == 0
    for control in ("Search messages", "Keyboard shortcuts"):
        expect(page.get_by_role("button", name=control)).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("link", name="Mentions")).to_be_in_viewport(ratio=1)
    # and so does the conversation, the link wrapped inside it
    page.get_by_role("link", name="Launch team").tap()
    expect(page.get_by_test_id("message-body").last).to_contain_text(LONG_LINK)
    assert overflow(page) == 0
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport(ratio=1)
    # its title whole, the header's pins button an icon with its name kept for screen readers
    title = page.get_by_role("heading", name="Launch team", level=1)
    assert title.evaluate("h => h.scrollWidth <= h.clientWidth")
    expect(page.get_by_role("button", name="Pinned (0)")).to_be_in_viewport(ratio=1)
    context.close()


def test_on_a_tablet_a_thread_opens_over_the_conversation_with_room_to_reply(browser, live_server_url):
    # given a group with a message, on a 768 px tablet held upright (the list takes a third of it)
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    group = ada.conversation("group", members=[grace], title="Launch team")
    grace.say(group, "Did the engine notes land?")
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    page = context.new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")

    # when Ada taps the message, then its Open thread
    message = page.get_by_test_id("message").last
    message.get_by_test_id("message-body").tap()
    message.get_by_role("button", name="Open thread").tap()
    thread = page.get_by_role("complementary", name="Thread")
    expect(thread).to_be_visible()

    # then it takes the conversation's whole width, as on a phone, and its reply box has room to write in
    # (beside the conversation, both were squeezed: the box was ~50 px wide, a letter or three per line)
    conversation_area = page.get_by_role("main").bounding_box()
    panel = thread.bounding_box()
    reply_box = thread.get_by_role("textbox").bounding_box()
    assert conversation_area
    assert panel
    assert reply_box
    assert panel["width"] >= conversation_area["width"] - 1
    assert reply_box["width"] >= panel["width"] / 2
    assert overflow(page) == 0
    thread.get_by_role("textbox").fill("They did")
    thread.get_by_role("textbox").press("Enter")
    expect(thread.get_by_test_id("message-body").last).to_have_text("They did")

    # and turned sideways (1024 px, a small laptop's width too) the thread sits beside the conversation
    page.set_viewport_size({"width": 1024, "height": 768})
    conversation_area = page.get_by_role("main").bounding_box()
    panel = thread.bounding_box()
    assert conversation_area
    assert panel
    assert panel["x"] > conversation_area["x"] + conversation_area["width"] / 2
    context.close()


def test_on_a_phone_a_tap_on_a_message_shows_its_actions(browser, live_server_url):
    # given a group with two messages, on a touch phone (no hover: the actions showed on hover only)
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    group = ada.conversation("group", members=[grace], title="Launch team")
    grace.say(group, "Did the engine notes land?")
    grace.say(group, "And the budget?")
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, ada)
    page.get_by_role("link", name="Launch team").tap()
    messages = page.get_by_test_id("message")
    expect(messages).to_have_count(2)
    first, second = messages.nth(0), messages.nth(1)

    # when Ada taps the first message where a thumb does, at the right of its text, over the place its
    # actions show at, the tap only selects it: its actions show, and the second's do not (the actions
    # showed at the press, under the finger, and the tap ran whichever lay there: Reply, Pin, Delete, ...)
    page.on("dialog", lambda dialog: dialog.dismiss())
    body = first.get_by_test_id("message-body")
    box = body.bounding_box()
    assert box
    for fraction in (0.6, 0.8, 0.97):
        page.get_by_role("heading", name="Launch team", level=1).tap()  # a tap elsewhere: nothing selected
        expect(first.get_by_role("toolbar", name="Message actions")).to_have_css("opacity", "0")
        body.tap(position={"x": box["width"] * fraction, "y": box["height"] / 2})
        expect(first.get_by_role("toolbar", name="Message actions")).to_have_css("opacity", "1")
        expect(second.get_by_role("toolbar", name="Message actions")).to_have_css("opacity", "0")
        expect(page.get_by_text("Replying to")).to_have_count(0)
        expect(page.get_by_role("complementary", name="Thread")).to_have_count(0)
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.get_by_role("button", name="Pinned (0)")).to_be_visible()

    # then a tap on Reply answers that message
    first.get_by_role("button", name="Reply").tap()
    expect(page.get_by_text("Replying to")).to_contain_text("Did the engine notes land?")
    # and a tap on the other message moves the actions there
    second.get_by_test_id("message-body").tap()
    expect(second.get_by_role("toolbar", name="Message actions")).to_have_css("opacity", "1")
    expect(first.get_by_role("toolbar", name="Message actions")).to_have_css("opacity", "0")
    context.close()


def smaller_side(locator: Locator) -> float:
    """A tap target's width or height, whichever is smaller, in CSS pixels."""
    box = locator.bounding_box()
    assert box
    return min(box["width"], box["height"])


def test_on_a_phone_the_headers_and_members_controls_are_big_enough_to_tap(browser, live_server_url):
    # given Ada, owner of a group with Grace, on a 375 px phone
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = ada.conversation("group", members=[grace], title="Launch team")
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")

    # then the header's Pinned and Edit are at least 24 by 24 CSS pixels (WCAG 2.5.8; they were 16-20 high)
    for name in ("Pinned (0)", "Edit conversation"):
        assert smaller_side(page.get_by_role("button", name=name)) >= 24, name
    # and so are the Members dialog's role choices and Remove
    page.get_by_role("button", name="2 members").tap()
    members = page.get_by_role("dialog", name="Members of Launch team")
    assert smaller_side(members.get_by_label("Role of Grace Hopper")) >= 24
    assert smaller_side(members.get_by_role("button", name="Remove Grace Hopper")) >= 24
    members.get_by_role("button", name="Close").tap()

    # and the Edit dialog's Rename fits in it (it stuck out by 2 px)
    page.get_by_role("button", name="Edit conversation").tap()
    edit = page.get_by_role("dialog", name="Edit Launch team")
    rename = edit.get_by_role("button", name="Rename")
    expect(rename).to_be_in_viewport(ratio=1)
    assert edit.evaluate("d => d.scrollWidth <= d.clientWidth")
    assert rename.evaluate("b => b.getBoundingClientRect().right <= b.form.getBoundingClientRect().right")
    assert overflow(page) == 0
    context.close()


def inside(inner: Locator, outer: Locator) -> bool:
    """Whether `inner`'s box lies wholly within `outer`'s."""
    box, around = inner.bounding_box(), outer.bounding_box()
    assert box
    assert around
    return (
        around["x"] <= box["x"]
        and box["x"] + box["width"] <= around["x"] + around["width"]
        and around["y"] <= box["y"] <= box["y"] + box["height"] <= around["y"] + around["height"]
    )


def test_on_a_phone_a_long_group_name_leaves_its_dialogs_close_button_inside_them(browser, live_server_url):
    # given Ada, owner of a group named by one long word, on a 360 px phone
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    title = "Supercalifragilisticexpialidocious-coordination"
    group = ada.conversation("group", members=[grace], title=title)
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")

    # when she opens its members, then its Edit dialog
    for opener, name in (("2 members", f"Members of {title}"), ("Edit conversation", f"Edit {title}")):
        page.get_by_role("button", name=opener).tap()
        dialog = page.get_by_role("dialog", name=name)

        # then the title wraps and Close stays wholly inside the dialog (the title pushed it past the edge)
        close = dialog.get_by_role("button", name="Close")
        assert inside(close, dialog), name
        close.tap()
        expect(dialog).to_be_hidden()
    assert overflow(page) == 0
    context.close()


@pytest.mark.parametrize("width", [320, 375])
def test_on_a_phone_the_emoji_picker_fits_inside_its_dialog(browser, live_server_url, width):
    # given Ada in a group on a phone
    ada = register(live_server_url, "ada")
    group = ada.conversation("group", members=[register(live_server_url, "grace")], title="Launch team")
    context = browser.new_context(viewport={"width": width, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")

    # when she opens the emoji picker from the message box
    page.get_by_role("button", name="Insert emoji").tap()
    dialog = page.get_by_role("dialog", name="Insert an emoji")
    expect(dialog.get_by_role("combobox")).to_be_visible()

    # then the picker is whole inside its dialog, which is on the screen: nothing scrolls sideways (the picker
    # ran under the dialog's right edge, its skin tones and last column of emoji cut off)
    picker = dialog.locator("emoji-picker")
    assert dialog.evaluate("d => d.scrollWidth - d.clientWidth") == 0
    expect(dialog).to_be_in_viewport(ratio=1)
    box, inner = dialog.bounding_box(), picker.bounding_box()
    assert box is not None
    assert inner is not None
    assert box["x"] <= inner["x"]
    assert inner["x"] + inner["width"] <= box["x"] + box["width"]
    expect(picker.get_by_role("button", name=re.compile("^Choose a skin tone"))).to_be_in_viewport(ratio=1)
    context.close()
