"""Any emoji as a reaction from the picker, named reactors, and :shortcode: completion in the message box."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.api import channel_name, log_in, register
from tests.e2e.test_chat_flow import BROWSER_NOISE

pytestmark = pytest.mark.e2e


def test_a_reaction_with_any_emoji_says_who_reacted(browser, live_server_url):
    # given a public channel where Ada wrote, and Bob who joined it but never wrote there
    ada = register(live_server_url, "ada", "Ada Lovelace")
    bob = register(live_server_url, "bob", "Bob Kahn")
    channel = ada.conversation("channel", members=[], title=channel_name("launch"), public=True)
    message = ada.say(channel, "We ship today")
    bob.call("POST", f"conversations/{channel}/join/")
    pages = {}
    for person in (ada, bob):
        pages[person.username] = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        log_in(pages[person.username], person)
        pages[person.username].goto(f"{live_server_url}/c/{channel}")
    ada_page, bob_page = pages[ada.username], pages[bob.username]

    # when Bob finds 🚀 in the picker by searching, and picks it
    bubble = bob_page.get_by_test_id("message").first
    bubble.hover()
    bubble.get_by_role("button", name="Add reaction").click()
    picker = bob_page.get_by_role("dialog", name="Add a reaction")
    picker.get_by_role("combobox").fill("rocket")
    picker.get_by_role("option", name="🚀, rocket").click()
    expect(picker).to_be_hidden()

    # then Ada sees it live, the server has it (the picker closes before the frame is handled: Ada's copy is
    # the sign it was), and its tooltip names Bob (whom her app had to look up)
    reaction = ada_page.get_by_role("button", name=re.compile("^🚀 1"))
    expect(reaction).to_be_visible()
    stored = ada.call("GET", f"conversations/{channel}/messages/")["results"]
    assert [r["emoji"] for r in next(m for m in stored if m["id"] == message)["reactions"]] == ["🚀"]
    reaction.hover()
    expect(ada_page.get_by_role("tooltip", name="Bob Kahn reacted with 🚀")).to_be_visible()
    expect(reaction).to_have_accessible_description("Bob Kahn reacted with 🚀")

    # and Ada's 👍 from the quick row and Bob's 👍 from the picker (which adds U+FE0F) are one reaction
    bubble = ada_page.get_by_test_id("message").first
    bubble.hover()
    bubble.get_by_role("button", name="Add reaction").click()
    ada_page.get_by_role("button", name="React with 👍").click()
    bubble = bob_page.get_by_test_id("message").first
    bubble.hover()
    bubble.get_by_role("button", name="Add reaction").click()
    bob_page.get_by_role("dialog", name="Add a reaction").get_by_role("combobox").fill("thumbs up")
    bob_page.get_by_role("option", name=re.compile("^👍")).first.click()
    expect(ada_page.get_by_role("button", name=re.compile("^👍 2"))).to_be_visible()
    for page in pages.values():
        page.context.close()


def test_shortcodes_complete_in_the_message_box(browser, live_server_url):
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    group = ada.conversation("group", members=[grace], title="Emoji")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")
    box = page.get_by_role("textbox", name="Message")

    # a few letters after a colon offer emoji by short name; Enter picks the first
    box.press_sequentially("Shipped :tad", delay=20)
    expect(page.get_by_role("option").first).to_have_text("🎉 :tada:")
    box.press("Enter")
    expect(box).to_have_value("Shipped 🎉 ")
    # a whole :shortcode: typed out becomes its emoji
    box.press_sequentially("thanks :+1:", delay=20)
    expect(box).to_have_value("Shipped 🎉 thanks 👍")
    # a time is not a shortcode
    box.press_sequentially(" at 10:30", delay=20)
    expect(page.get_by_role("option")).to_have_count(0)
    box.press("Enter")
    expect(page.get_by_test_id("message-body").last).to_have_text("Shipped 🎉 thanks 👍 at 10:30")
    page.context.close()


def test_the_picker_opened_offline_says_so_and_loads_once_back_online(browser, live_server_url):
    # given Ada in a conversation, who has never opened the picker on this device, going offline
    ada = register(live_server_url, "ada", "Ada")
    grace = register(live_server_url, "grace", "Grace")
    direct = ada.conversation("direct", members=[grace])
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{direct}")
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()
    context.set_offline(True)

    # when she opens the picker
    page.get_by_role("button", name="Insert emoji").click()
    picker = page.get_by_role("dialog", name="Insert an emoji")

    # then it says it cannot load offline (it said "Could not load emoji." and logged "Failed to fetch")
    expect(picker.get_by_role("status")).to_have_text(
        "Emoji cannot load while you are offline. They will as soon as you are back online."
    )

    # and once she is back online it loads by itself, and what she picks goes into her message
    context.set_offline(False)
    picker.get_by_role("combobox").fill("rocket")
    picker.get_by_role("option", name="🚀, rocket").click()
    expect(page.get_by_role("textbox", name="Message")).to_have_value("🚀")
    assert [e for e in errors if not BROWSER_NOISE.search(e)] == []
    context.close()
