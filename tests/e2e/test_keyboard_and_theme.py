"""The keyboard path to the message box, the shortcuts help, focus after a dialog, and the themes."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.api import log_in, register
from tests.e2e.test_chat_flow import png_bytes, shot

pytestmark = pytest.mark.e2e


def press(page: Page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


def test_the_message_box_is_a_few_keys_away(browser, live_server_url):
    # given Ada with two conversations, on a desktop with a mouse
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    first = ada.conversation("group", members=[grace], title="Alpha")
    ada.conversation("group", members=[grace], title="Beta")  # newer: first in the list
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, ada)

    # when she tabs to a conversation and opens it with Enter, focus is in its message box at once
    link = page.get_by_role("link", name="Beta")
    expect(link).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    href = link.get_attribute("href")
    for _ in range(15):  # past the sidebar's buttons to the first conversation
        if page.evaluate("document.activeElement.getAttribute('href')") == href:
            break
        page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Beta", level=1)).to_be_visible()
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()

    # and from the top of the page the skip link, the first stop, reaches it in two keys
    page.get_by_role("button", name="Keyboard shortcuts").focus()
    press(page, "Shift+Tab")
    expect(page.get_by_role("link", name="Skip to the message box")).to_be_focused()
    press(page, "Enter")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()

    # and from anywhere Alt+Shift+M goes there; Alt+Down opens the next conversation
    page.get_by_role("button", name="Keyboard shortcuts").focus()
    press(page, "Alt+Shift+KeyM")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    press(page, "Alt+ArrowDown")
    expect(page.get_by_role("heading", name="Alpha", level=1)).to_be_visible()
    assert page.url.endswith(f"/c/{first}")

    # and Ctrl+/ opens the help, which documents the keyboard; Escape closes it
    press(page, "Control+Slash")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Go to the message box")
    expect(help_dialog).to_contain_text("skip link")
    press(page, "Escape")
    expect(help_dialog).to_be_hidden()
    context.close()


def test_on_a_phone_opening_a_conversation_focuses_its_title_not_the_keyboard(browser, live_server_url):
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    ada.conversation("group", members=[grace], title="Gamma")
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, ada)
    page.get_by_role("link", name="Gamma").tap()
    title = page.get_by_role("heading", name="Gamma", level=1)
    expect(title).to_be_focused()
    press(page, "Alt+Shift+KeyM")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    context.close()


def background(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.documentElement).backgroundColor")


LIGHT, DARK = "rgb(245, 247, 250)", "rgb(13, 17, 23)"


def test_the_theme_follows_the_system_until_one_is_chosen_and_remembered(browser, live_server_url):
    # given Ada on a system in light mode
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    group = ada.conversation("group", members=[grace], title="Delta")
    grace.say(group, "Dark mode, finally? `yes`")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
    page = context.new_page()
    log_in(page, ada)
    expect(page.get_by_role("link", name="Delta")).to_be_visible()
    assert background(page) == LIGHT

    # the system turning dark turns the app dark
    page.emulate_media(color_scheme="dark")
    assert background(page) == DARK
    page.emulate_media(color_scheme="light")

    # when she picks Dark in Settings, it stays dark whatever the system says, after a reload too
    page.get_by_role("link", name="Settings for").click()
    page.get_by_role("radio", name="Dark").check()
    assert background(page) == DARK
    page.reload()
    expect(page.get_by_role("radio", name="Dark")).to_be_checked()
    assert background(page) == DARK
    page.goto(f"{live_server_url}/c/{group}")
    expect(page.get_by_test_id("message-body")).to_be_visible()
    shot(page, "conversation-dark")

    # and Light wins over a dark system; "Match the system" hands back to it
    page.goto(f"{live_server_url}/settings")
    page.emulate_media(color_scheme="dark")
    page.get_by_role("radio", name="Light").check()
    assert background(page) == LIGHT
    page.get_by_role("radio", name="Match the system").check()
    assert background(page) == DARK
    context.close()


# Where focus is, seen from a dialog: in it, out of the page (the browser's own controls), or on the page
# behind it (named by its markup).
FOCUS_IS = """box => {
    const now = document.activeElement;
    if (!now || now === document.body) return "out of the page";
    return box.contains(now) ? "in the dialog" : now.outerHTML.slice(0, 80);
}"""


def test_a_closed_dialog_gives_focus_back_to_the_button_that_opened_it(browser, live_server_url):
    # given Ada in a group with a pinned message of Grace's and a picture, on a desktop, using the keyboard
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    group = ada.conversation("group", members=[grace], title="Focus")
    said = grace.say(group, "Pinned notes")
    ada.call("PUT", f"messages/{said}/pin/")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")
    page.get_by_test_id("file-input").set_input_files(
        files=[{"name": "chart.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    expect(page.get_by_role("button", name="Send message")).to_be_enabled()  # once the file is checked
    page.get_by_role("textbox", name="Message").press("Enter")
    notes = page.get_by_test_id("message").filter(has_text="Pinned notes")
    dialogs = [  # (the button that opens it, the dialog)
        (page.get_by_role("button", name="2 members"), "Members of Focus"),
        (page.get_by_role("button", name="Pinned (1)"), "Pinned messages"),
        (notes.get_by_role("button", name="Forward"), "Forward message"),
        (notes.get_by_role("button", name="Add reaction"), "Add a reaction"),
        (page.get_by_role("button", name="Search messages"), "Search messages"),
        (page.get_by_role("button", name="Keyboard shortcuts"), "Keyboard shortcuts"),
        (page.get_by_role("button", name="Open image chart.png"), "chart.png"),
    ]

    for close in ("Escape", "its Close button"):
        for opener, name in dialogs:
            # when she opens it with Enter and closes it
            opener.focus()
            page.keyboard.press("Enter")
            dialog = page.get_by_role("dialog", name=name)
            expect(dialog).to_be_visible()
            if close == "Escape":
                page.keyboard.press("Escape")
            else:
                dialog.get_by_role("button", name=re.compile("^Close")).focus()
                page.keyboard.press("Enter")
            expect(dialog).to_have_count(0)

            # then the button that opened it has focus again (by the Close button it was the page's body,
            # and the next Tab started at the top of the page; by Escape too for the picture)
            expect(opener, f"{name}, closed by {close}").to_be_focused()

    # and while the picture is open, Tab and Shift+Tab never reach the page behind it (they went on to its
    # controls): as in the other dialogs, focus goes round the dialog and the browser's own controls
    picture = page.get_by_role("button", name="Open image chart.png")
    picture.focus()
    page.keyboard.press("Enter")
    viewer = page.get_by_role("dialog", name="chart.png")
    close_image = viewer.get_by_role("button", name="Close image")
    expect(close_image).to_be_focused()
    seen = []
    for key in ("Tab", "Tab", "Shift+Tab", "Shift+Tab"):
        page.keyboard.press(key)
        seen.append(viewer.evaluate(FOCUS_IS))
        assert seen[-1] in ("in the dialog", "out of the page"), f"{key} took focus to {seen[-1]}"
    assert "in the dialog" in seen  # it comes back
    page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    expect(picture).to_be_focused()

    # and when what opened it is gone meanwhile (Grace deletes the message being forwarded), focus goes to
    # the message box
    notes.get_by_role("button", name="Forward").focus()
    page.keyboard.press("Enter")
    grace.call("DELETE", f"messages/{said}/")
    expect(notes).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    page.context.close()


def test_only_the_message_under_the_pointer_shows_its_actions_after_a_click_in_another(
    browser, live_server_url
):
    # given Ada, on a desktop with a mouse, reading three messages of Grace's
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    group = ada.conversation("group", members=[grace], title="Toolbars")
    for words in ("First", "Second", "Third"):
        grace.say(group, words)
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")
    first, second, third = (
        page.get_by_test_id("message").filter(has_text=words) for words in ("First", "Second", "Third")
    )

    def actions(message):
        return message.get_by_role("toolbar", name="Message actions")

    # when she pins the first with a click and moves on to the third
    first.hover()
    first.get_by_role("button", name="Pin message").click()
    expect(first.get_by_role("button", name="Unpin message")).to_be_focused()  # the click left focus there
    third.hover()

    # then only the third shows its actions (the first kept its own up beside them)
    expect(actions(third)).to_have_css("opacity", "1")
    expect(actions(first)).to_have_css("opacity", "0")

    # and so after a reaction picked in the second's picker, which gives focus back to Add reaction
    second.hover()
    second.get_by_role("button", name="Add reaction").click()
    page.get_by_role("dialog", name="Add a reaction").get_by_role("button", name="React with 🎉").click()
    expect(second.get_by_role("button", name="Add reaction")).to_be_focused()
    first.hover()
    expect(actions(first)).to_have_css("opacity", "1")
    expect(actions(second)).to_have_css("opacity", "0")

    # while the keyboard's focus still shows the actions it is in, the pointer gone from the messages
    page.mouse.move(5, 790)
    page.get_by_role("textbox", name="Message").focus()
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("!!document.activeElement.closest('[role=toolbar]')"):
            break
    expect(actions(third)).to_have_css("opacity", "1")
    expect(actions(first)).to_have_css("opacity", "0")
