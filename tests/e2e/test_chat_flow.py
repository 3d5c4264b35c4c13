"""Two people sign up, talk in a direct message, and keep talking through a reload and an outage."""

import io
import os
import re
import tempfile
import uuid
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

pytestmark = pytest.mark.e2e

# Where the tests' screenshots go: docs/screenshots (the README's and the docs' pictures) only from
# `make screenshots`; any other run keeps them in a temporary folder and leaves the work tree as it was.
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "parley-screenshots")
# Chromium's own network notices (sockets refused while offline) are not the app's errors.
BROWSER_NOISE = re.compile(r"WebSocket connection to|net::ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED")


class Person:
    def __init__(self, context: BrowserContext, base_url: str, name: str):
        self.context = context
        self.page = context.new_page()
        self.base_url = base_url
        self.username = f"{name}{uuid.uuid4().hex[:6]}"
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not BROWSER_NOISE.search(message.text):
            self.errors.append(message.text)

    def sign_up(self) -> None:
        page = self.page
        page.goto(f"{self.base_url}/signup")
        page.get_by_label("Username").fill(self.username)
        page.get_by_label("Email").fill(f"{self.username}@example.com")
        page.get_by_label("Password").fill("a long enough passphrase 42")
        page.get_by_role("button", name="Sign up").click()
        expect(page.get_by_role("navigation", name="Conversations")).to_be_visible()

    def composer(self):
        return self.page.get_by_role("textbox", name="Message")

    def open_direct(self, other: "Person") -> None:
        """Start a direct conversation with `other` from "New message", as a person would."""
        self.page.get_by_role("link", name="New message").click()
        self.page.get_by_label("Search people").fill(other.username)
        self.page.get_by_role("button", name=re.compile(other.username)).click()
        expect(self.page.get_by_role("heading", name=other.username)).to_be_visible()

    def send(self, text: str) -> None:
        self.composer().fill(text)
        self.composer().press("Enter")

    def messages(self):
        return self.page.get_by_test_id("message-body")


def png_bytes() -> bytes:
    image = Image.new("RGB", (320, 200), (31, 78, 121))
    for x in range(0, 320, 40):
        for y in range(0, 200, 40):
            image.putpixel((x, y), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_two_people_chat_live_through_reload_and_outage(browser, live_server_url):
    # given two people, one on a desktop and one on a 375 px phone
    ada = Person(browser.new_context(viewport={"width": 1280, "height": 800}), live_server_url, "ada")
    bob = Person(
        browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True),
        live_server_url,
        "bob",
    )
    ada.page.goto(f"{live_server_url}/login")
    shot(ada.page, "login")
    ada.sign_up()
    bob.sign_up()

    # when Ada starts a direct message with Bob and writes to him
    ada.open_direct(bob)
    ada.send("Hello **Bob**")
    expect(ada.messages().last).to_have_text("Hello Bob")
    expect(ada.page.get_by_test_id("message").last).to_have_attribute("data-state", "sent")

    # then Bob sees the conversation appear live, unread, and the message in bold
    conversation_link = bob.page.get_by_role("link", name=re.compile(f"^{ada.username}"))
    expect(conversation_link).to_be_visible()
    expect(bob.page.get_by_test_id("unread-badge")).to_have_text("1")
    shot(bob.page, "sidebar-mobile")
    conversation_link.click()
    expect(bob.messages().last.locator("strong")).to_have_text("Bob")

    # typing shows on the other side, both ways
    bob.composer().press_sequentially("Hi Ada", delay=20)
    expect(ada.page.get_by_test_id("typing-indicator")).to_have_text(f"{bob.username} is typing…")
    bob.composer().press("Enter")
    expect(ada.messages().last).to_have_text("Hi Ada")
    expect(ada.page.get_by_test_id("typing-indicator")).to_have_text("")
    ada.composer().press_sequentially("One moment", delay=20)
    expect(bob.page.get_by_test_id("typing-indicator")).to_have_text(f"{ada.username} is typing…")
    ada.composer().fill("")

    # an image goes across as a thumbnail that opens full size
    ada.page.get_by_test_id("file-input").set_input_files(
        files=[{"name": "chart.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    expect(ada.page.get_by_test_id("upload-progress")).to_have_attribute("value", "1")
    # the bytes are up; Send is enabled once Parley has checked the file (complete)
    expect(ada.page.get_by_role("button", name="Send message")).to_be_enabled()
    ada.send("The chart")
    thumbnail = bob.page.get_by_test_id("thumbnail").last
    expect(thumbnail).to_be_visible()
    bob.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    thumbnail.click()
    expect(bob.page.get_by_test_id("full-image")).to_be_visible()
    bob.page.get_by_role("button", name="Close image").click()
    shot(ada.page, "conversation-desktop")
    shot(bob.page, "conversation-mobile")
    # and its thread shows the image above the replies (it showed the text alone)
    chart = ada.page.get_by_test_id("message").last
    chart.hover()
    chart.get_by_role("button", name="Open thread").click()
    thread = ada.page.get_by_role("complementary", name="Thread")
    expect(thread.get_by_test_id("thumbnail")).to_be_visible()
    thread.get_by_role("button", name="Close thread").click()

    # a reload keeps the history
    bob.page.reload()
    expect(bob.messages()).to_have_count(3)
    expect(bob.messages().first).to_have_text("Hello Bob")

    # while Bob is offline Ada sends; the messages arrive once he is back, without a reload
    bob.context.set_offline(True)
    expect(bob.page.get_by_test_id("connection-banner")).to_be_visible()
    shot(bob.page, "offline-banner")
    ada.send("Are you there?")
    ada.send("Second while you were away")
    expect(ada.page.get_by_test_id("message").last).to_have_attribute("data-state", "sent")
    bob.page.wait_for_timeout(500)
    expect(bob.messages()).to_have_count(3)
    bob.context.set_offline(False)
    expect(bob.messages()).to_have_count(5)
    expect(bob.messages().nth(3)).to_have_text("Are you there?")
    expect(bob.messages().nth(4)).to_have_text("Second while you were away")
    expect(bob.page.get_by_test_id("connection-banner")).to_have_count(0)

    # a Markdown body with a script tag shows as text, and runs nothing
    ada.send("<script>window.__pwned = true</script> *still text*")
    expect(bob.messages().last).to_contain_text("<script>window.__pwned = true</script>")
    expect(bob.messages().last.locator("script")).to_have_count(0)
    assert bob.page.evaluate("window.__pwned") is None

    # and nothing went wrong in either browser
    assert ada.errors == []
    assert bob.errors == []
    ada.context.close()
    bob.context.close()


def signed_up_on_desktops(browser, base_url: str) -> tuple[Person, Person]:
    """Ada and Bob, each signed up in a browser of their own."""
    ada = Person(browser.new_context(viewport={"width": 1280, "height": 800}), base_url, "ada")
    bob = Person(browser.new_context(viewport={"width": 1280, "height": 800}), base_url, "bob")
    ada.sign_up()
    bob.sign_up()
    return ada, bob


def test_a_burst_of_messages_past_the_rate_limit_arrives_in_the_order_typed(browser, live_server_url):
    # given Ada and Bob in a direct conversation, and the socket limit (a burst of 20 sends, then 5 a second)
    ada, bob = signed_up_on_desktops(browser, live_server_url)
    ada.open_direct(bob)

    # when Ada sends 50 messages as fast as she can press Enter (~1.5 s here: those past the limit are refused
    # for a moment, and sent again)
    typed = [f"line {n}" for n in range(50)]
    for text in typed:
        ada.send(text)

    # then every one is sent once, and both see them in the order she typed them, after a reload too
    expect(ada.page.locator("[data-testid=message][data-state=sent]")).to_have_count(50, timeout=30_000)
    expect(ada.messages()).to_have_text(typed)
    bob.page.get_by_role("link", name=re.compile(f"^{ada.username}")).click()
    expect(bob.messages()).to_have_text(typed)
    bob.page.reload()
    expect(bob.messages()).to_have_text(typed)
    assert ada.errors == []


def test_an_edit_made_offline_says_it_was_not_saved(browser, live_server_url):
    # given Ada in a conversation with one message of hers
    ada, bob = signed_up_on_desktops(browser, live_server_url)
    ada.open_direct(bob)
    ada.send("See you at 10")
    message = ada.page.get_by_test_id("message").last
    expect(message).to_have_attribute("data-state", "sent")

    # when she edits it while offline
    ada.context.set_offline(True)
    expect(ada.page.get_by_test_id("connection-banner")).to_be_visible()
    message.hover()
    message.get_by_role("button", name="Edit").click()
    editor = ada.page.get_by_label(re.compile("Edit message"))
    editor.fill("See you at 11")
    editor.press("Enter")

    # then she is told it was not saved, and the message still says what it said
    expect(ada.page.get_by_role("alert")).to_have_text(re.compile("Not changed: you are offline"))
    expect(ada.messages().last).to_have_text("See you at 10")
    # and once back online the same edit goes through, and the notice goes
    ada.context.set_offline(False)
    expect(ada.page.get_by_test_id("connection-banner")).to_have_count(0)
    message.hover()
    message.get_by_role("button", name="Edit").click()
    editor.fill("See you at 11")
    editor.press("Enter")
    expect(ada.messages().last).to_have_text("See you at 11")
    expect(ada.page.get_by_role("alert")).to_have_count(0)


def test_leaving_a_group_while_offline_says_it_did_not_leave(browser, live_server_url):
    # given Ada in a group with Bob
    ada, bob = signed_up_on_desktops(browser, live_server_url)
    page = ada.page
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Group name").fill("Standup")
    page.get_by_label("Search people").fill(bob.username)
    page.get_by_role("button", name=re.compile(bob.username)).click()
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Standup")).to_be_visible()

    # when she leaves it while offline (and says yes to "Leave Standup?")
    ada.context.set_offline(True)
    expect(page.get_by_test_id("connection-banner")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Leave").click()

    # then she is told she did not leave (the click did nothing visible), and she is still in it
    expect(page.get_by_role("alert")).to_have_text(re.compile("Could not leave Standup"))
    expect(page.get_by_role("heading", name="Standup")).to_be_visible()
    # and back online, leaving works
    ada.context.set_offline(False)
    expect(page.get_by_test_id("connection-banner")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Leave").click()
    expect(page.get_by_role("link", name=re.compile("^Standup"))).to_have_count(0)
    ada.errors = [e for e in ada.errors if "Failed to load resource" not in e and "Failed to fetch" not in e]
    assert ada.errors == []
