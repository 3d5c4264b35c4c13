"""Replies, reactions, edits, deletions, mentions, groups and channels, through the UI."""

import re
from urllib.error import HTTPError

import pytest
from playwright.sync_api import expect

from tests.e2e.api import channel_name, log_in, register
from tests.e2e.test_chat_flow import Person, shot

pytestmark = pytest.mark.e2e


def test_group_conversation_features(browser, live_server_url):
    # given three people, and a group that one of them creates
    ada, bob, cy = (
        Person(browser.new_context(viewport={"width": 1100, "height": 760}), live_server_url, n)
        for n in ("ada", "bob", "cy")
    )
    for person in (ada, bob, cy):
        person.sign_up()
    page = ada.page
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Group name").fill("Launch team")
    for other in (bob, cy):
        page.get_by_label("Search people").fill(other.username)
        # Enter in the search box creates nothing (it created the group with those picked so far)
        page.get_by_label("Search people").press("Enter")
        page.get_by_role("button", name=re.compile(other.username)).click()
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Launch team")).to_be_visible()

    # when Ada mentions Bob through the autocomplete
    ada.composer().press_sequentially(f"Welcome @{bob.username[:4]}", delay=10)
    expect(page.get_by_role("option", name=re.compile(bob.username))).to_be_visible()
    ada.composer().press("Enter")  # picks the highlighted person
    ada.composer().press_sequentially("and everyone", delay=5)
    ada.composer().press("Enter")
    expect(ada.messages().last.locator(".mention")).to_have_text(f"@{bob.username}")

    # then Bob replies to it, quoting it, and reacts
    bob.page.get_by_role("link", name=re.compile("^Launch team")).click()
    message = bob.page.get_by_test_id("message").last
    message.hover()
    message.get_by_role("button", name="Reply").click()
    bob.send("Thanks!")
    expect(page.get_by_test_id("message").last.locator(".reply-quote")).to_contain_text("Welcome")
    first = bob.page.get_by_test_id("message").first
    first.hover()
    first.get_by_role("button", name="Add reaction").click()
    first.get_by_role("button", name="React with 🎉").click()
    expect(
        page.get_by_test_id("message").first.get_by_role("button", name=re.compile("🎉 1"))
    ).to_be_visible()

    # and Ada edits and deletes her own messages, live for the others
    own = page.get_by_test_id("message").first
    own.hover()
    own.get_by_role("button", name="Edit").click()
    editor = page.get_by_label(re.compile("Edit message"))
    editor.fill("Welcome, all")
    editor.press("Enter")
    expect(bob.messages().first).to_have_text("Welcome, all")
    expect(bob.page.get_by_test_id("message").first).to_contain_text("(edited)")
    ada.send("Oops, wrong room")
    last = page.get_by_test_id("message").last
    expect(last).to_have_attribute("data-state", "sent")
    page.once("dialog", lambda dialog: dialog.accept())
    last.hover()
    last.get_by_role("button", name="Delete").click()
    expect(cy.page.get_by_role("link", name=re.compile("^Launch team"))).to_be_visible()
    cy.page.get_by_role("link", name=re.compile("^Launch team")).click()
    expect(cy.page.get_by_text("This message was deleted.")).to_be_visible()
    shot(page, "group")

    # a public channel can be found and joined
    page.get_by_role("link", name="Channels").click()
    general = channel_name("general")
    page.get_by_label("New public channel").fill(general)
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name=f"# {general}")).to_be_visible()
    cy.page.get_by_role("link", name="Channels").click()
    channels = cy.page.get_by_role("list", name="Public channels").get_by_role("listitem")
    channels.filter(has_text=f"# {general}").get_by_role("button", name="Join").click()
    expect(cy.page.get_by_role("heading", name=f"# {general}")).to_be_visible()
    page.get_by_role("link", name="Channels").click()
    shot(page, "channels")
    page.get_by_role("link", name=re.compile("^Settings")).click()
    expect(page.get_by_label("Display name")).to_be_visible()
    shot(page, "settings")

    for person in (ada, bob, cy):
        assert person.errors == []
        person.context.close()


def message_below_the_line(page) -> str:
    """The text of the message right after the "New messages" line."""
    return str(page.get_by_test_id("new-messages").evaluate("line => line.nextElementSibling.innerText"))


def grace_wrote_since_ada_looked(browser, live_server_url: str, updates: int):
    """A group where Ada asked, then Grace wrote `updates` messages ("update 0", …); Ada signed in, on a
    desktop. Returns (Grace, the group, Ada's page)."""
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = ada.conversation("group", members=[grace], title="Launch team")
    ada.say(group, "Anything new?")
    for n in range(updates):
        grace.say(group, f"update {n}")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, ada)
    return grace, group, page


def test_a_conversation_opens_at_the_messages_new_to_me(browser, live_server_url):
    # given a group where Grace wrote forty messages since Ada last looked
    grace, group, page = grace_wrote_since_ada_looked(browser, live_server_url, 40)

    # when she opens it
    page.get_by_role("link", name="Launch team").click()

    # then a "New messages" line stands right above Grace's first, which is on screen (its sender named),
    # and the newest is further down
    line = page.get_by_test_id("new-messages")
    expect(line).to_be_in_viewport()
    first_new = page.get_by_test_id("message").filter(has_text="update 0")
    expect(first_new).to_be_in_viewport()
    expect(first_new).to_contain_text("Grace Hopper")
    assert "update 0" in message_below_the_line(page)
    expect(page.get_by_test_id("message").filter(has_text="update 39")).not_to_be_in_viewport()
    expect(page.get_by_role("link", name="Launch team").get_by_test_id("unread-badge")).to_have_count(0)
    # and what she sends from up there is shown going, at the bottom (it went there off screen)
    page.get_by_role("textbox", name="Message").fill("Reading from the top")
    page.get_by_role("textbox", name="Message").press("Enter")
    expect(page.get_by_test_id("message").last).to_contain_text("Reading from the top")
    expect(page.get_by_test_id("message").last).to_be_in_viewport()

    # and opened again after two more, the line stands above those two, and the newest is on screen
    page.get_by_role("link", name="New message").click()
    grace.say(group, "one more")
    grace.say(group, "and the last")
    page.get_by_role("link", name="Launch team").click()
    expect(page.get_by_test_id("message").last).to_contain_text("and the last")
    expect(page.get_by_test_id("message").last).to_be_in_viewport()
    assert "one more" in message_below_the_line(page)

    # and a message that comes while she is reading it brings no line: it is read as it comes
    page.get_by_role("link", name="New message").click()
    page.get_by_role("link", name="Launch team").click()
    expect(page.get_by_test_id("message").last).to_contain_text("and the last")
    grace.say(group, "live one")
    expect(page.get_by_test_id("message").last).to_contain_text("live one")
    expect(page.get_by_test_id("new-messages")).to_have_count(0)
    # and a screen reader is told of that one message, not of the history the conversation opened with (the
    # message list was a live region: it read the whole page out on opening)
    expect(page.get_by_test_id("new-message-announcement")).to_have_text("Grace Hopper: live one")
    expect(page.locator("[aria-live] [data-testid=message]")).to_have_count(0)


def test_with_more_new_messages_than_a_page_a_conversation_opens_at_the_first_of_them(
    browser, live_server_url
):
    # given a group where Grace wrote sixty messages since Ada last looked (a page of history is fifty)
    _, _, page = grace_wrote_since_ada_looked(browser, live_server_url, 60)
    in_the_list = page.get_by_role("link", name="Launch team")
    expect(in_the_list.get_by_test_id("unread-badge")).to_have_text("60")

    # when she opens it
    in_the_list.click()

    # then the "New messages" line and Grace's first message under it are on screen at once, with what
    # Ada wrote before above them (the newest page, update 10 to 59, held neither)
    line = page.get_by_test_id("new-messages")
    expect(line).to_be_in_viewport()
    expect(page.get_by_test_id("message").filter(has_text="update 0")).to_be_in_viewport()
    assert "update 0" in message_below_the_line(page)
    expect(page.get_by_test_id("message").first).to_contain_text("Anything new?")
    # and the conversation stays unread until she has scrolled down to the newest, which loads as she goes
    expect(in_the_list.get_by_test_id("unread-badge")).to_have_text("60")
    newest = page.get_by_test_id("message").filter(has_text="update 59")
    timeline = page.get_by_role("region", name="Messages")
    timeline.evaluate("timeline => { timeline.scrollTop = timeline.scrollHeight }")
    expect(newest).to_have_count(1)
    newest.scroll_into_view_if_needed()
    expect(in_the_list.get_by_test_id("unread-badge")).to_have_count(0)
    texts = page.get_by_test_id("message-body").all_inner_texts()
    assert texts == ["Anything new?", *(f"update {n}" for n in range(60))]


def test_a_conversation_opened_at_its_first_new_message_is_read_once_its_newest_is_shown(
    browser, live_server_url
):
    # given Ada reading a group opened at the first of Grace's sixty new messages, far from the newest
    grace, group, page = grace_wrote_since_ada_looked(browser, live_server_url, 60)
    in_the_list = page.get_by_role("link", name="Launch team")
    in_the_list.click()
    expect(page.get_by_test_id("new-messages")).to_be_in_viewport()

    # when Grace writes once more, and Ada's network drops and comes back
    grace.say(group, "one more thing")
    expect(in_the_list.get_by_test_id("unread-badge")).to_have_text("61")
    page.context.set_offline(True)
    expect(page.get_by_test_id("connection-banner")).to_be_visible()
    page.context.set_offline(False)
    expect(page.get_by_test_id("connection-banner")).to_be_hidden()

    # then it is still unread: she has not seen the newest (either marked all sixty-one read)
    expect(in_the_list.get_by_test_id("unread-badge")).to_have_text("61")
    # and when she replies from there, the newest messages show with her reply, and it is read, for the
    # server too (it stayed unread, "(60) Parley", after a reply)
    page.get_by_role("textbox", name="Message").fill("Thanks, catching up")
    page.get_by_role("textbox", name="Message").press("Enter")
    expect(page.get_by_test_id("message").last).to_contain_text("Thanks, catching up")
    expect(page.get_by_test_id("message").filter(has_text="one more thing")).to_be_in_viewport()
    expect(in_the_list.get_by_test_id("unread-badge")).to_have_count(0)
    page.get_by_role("link", name="New message").click()
    page.reload()
    expect(page.get_by_role("link", name="Launch team")).to_be_visible()
    expect(page.get_by_role("link", name="Launch team").get_by_test_id("unread-badge")).to_have_count(0)


def ada_in_a_group(browser, live_server_url: str):
    """Ada on a desktop, in the group she made with Grace, open. Returns (Grace, the group, Ada's page)."""
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    group = ada.conversation("group", members=[grace], title="Launch team")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")
    return grace, group, page


def test_a_message_longer_than_the_limit_is_kept_back_and_says_by_how_much(browser, live_server_url):
    # given Ada in a group (a message holds at most 10,000 characters)
    grace, group, page = ada_in_a_group(browser, live_server_url)
    composer = page.get_by_role("textbox", name="Message")

    # when she writes one character too many
    composer.fill("x" * 10_001)

    # then the box says so, and neither Send nor Enter sends it (it was sent, and failed, before)
    expect(page.get_by_role("status").filter(has_text="too long")).to_have_text(
        "1 character too long: a message holds at most 10,000."
    )
    expect(page.get_by_role("button", name="Send message")).to_be_disabled()
    composer.press("Enter")
    assert composer.evaluate("box => box.value.length") == 10_001
    expect(page.get_by_test_id("message")).to_have_count(0)
    # and once it fits, it goes, whole
    composer.press("Backspace")
    expect(page.get_by_role("status").filter(has_text="too long")).to_have_count(0)
    composer.press("Enter")
    expect(page.get_by_test_id("message")).to_have_attribute("data-state", "sent")
    stored = grace.call("GET", f"conversations/{group}/messages/")["results"]
    assert [len(message["body"]) for message in stored] == [10_000]

    # and an edit that makes it too long stays open, saying so, and changes nothing
    message = page.get_by_test_id("message")
    message.hover()
    message.get_by_role("button", name="Edit").click()
    editor = page.get_by_role("textbox", name="Edit message (Enter saves, Escape cancels)")
    editor.press("Control+End")
    editor.type("yy")
    expect(message.get_by_role("status")).to_have_text(
        "2 characters too long: a message holds at most 10,000."
    )
    editor.press("Enter")
    expect(editor).to_be_visible()
    assert editor.evaluate("box => box.value.endsWith('xyy') && box.value.length") == 10_002


def test_files_past_ten_for_one_message_are_left_out_and_named(browser, live_server_url):
    # given Ada in a group (a message takes at most ten files)
    grace, group, page = ada_in_a_group(browser, live_server_url)
    attached = page.get_by_role("list", name="Attachments").get_by_role("listitem")
    left_out = page.get_by_role("status").filter(has_text="Not attached")

    # when she picks twelve files for one message
    page.get_by_test_id("file-input").set_input_files(files=[text_file(f"notes-{n}.txt") for n in range(12)])

    # then ten are attached, and the two left out are named (they went unsaid before)
    expect(attached).to_have_count(10)
    expect(left_out).to_have_text(
        "Not attached: notes-10.txt, notes-11.txt. "
        "A message takes at most 10 files; send these with the next one."
    )
    # and one more picked then is left out too, rather than make the message fail as an eleventh
    page.get_by_test_id("file-input").set_input_files(files=[text_file("late.txt")])
    expect(left_out).to_contain_text("Not attached: late.txt.")
    expect(attached).to_have_count(10)
    # and the message goes with the ten
    expect(page.get_by_role("button", name="Send message")).to_be_enabled()
    page.get_by_role("textbox", name="Message").fill("The notes")
    page.get_by_role("textbox", name="Message").press("Enter")
    expect(page.get_by_test_id("message")).to_have_attribute("data-state", "sent")
    expect(left_out).to_have_count(0)
    stored = grace.call("GET", f"conversations/{group}/messages/")["results"]
    assert [a["name"] for a in stored[0]["attachments"]] == [f"notes-{n}.txt" for n in range(10)]


def text_file(name: str) -> dict[str, object]:
    return {"name": name, "mimeType": "text/plain", "buffer": f"The {name}".encode()}


def test_a_groups_owner_adds_and_removes_members_and_a_member_sees_who_is_in_it(browser, live_server_url):
    # given Ada's group with Grace, and Alan, who is not in it (the app had no way to change its members)
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    alan = register(live_server_url, "alan", "Alan Turing")
    group = ada.conversation("group", members=[grace], title="Launch team")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove Grace Hopper from Launch team?"
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")

    # when Ada opens the members from the header's count
    page.get_by_role("button", name="2 members").click()
    members = page.get_by_role("dialog", name="Members of Launch team")
    listed = members.get_by_role("list", name="Members").get_by_role("listitem")

    # then she sees who is in it
    expect(listed).to_have_count(2)
    expect(listed.filter(has_text="Grace Hopper")).to_contain_text(f"@{grace.username}")
    # and adds Alan, found by name, who then has the conversation
    members.get_by_label("Search people to add").fill("Alan")
    members.get_by_role("button", name=re.compile("Alan Turing")).click()
    expect(listed).to_have_count(3)
    expect(page.get_by_role("button", name="3 members")).to_be_visible()
    assert alan.call("GET", f"conversations/{group}/")["title"] == "Launch team"
    # and removes Grace, who then no longer has it
    members.get_by_role("button", name="Remove Grace Hopper").click()
    expect(listed).to_have_count(2)
    expect(listed.filter(has_text="Grace Hopper")).to_have_count(0)
    with pytest.raises(HTTPError) as gone:
        grace.call("GET", f"conversations/{group}/")
    assert gone.value.code == 404

    # and Alan, a plain member, sees who is in it but neither adds nor removes anyone
    alan_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(alan_page, alan)
    alan_page.goto(f"{live_server_url}/c/{group}")
    alan_page.get_by_role("button", name="2 members").click()
    his_view = alan_page.get_by_role("dialog", name="Members of Launch team")
    expect(his_view.get_by_role("listitem")).to_have_count(2)
    expect(his_view.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
    expect(his_view.get_by_label("Search people to add")).to_have_count(0)


# What the page's sockets send and receive, in order: [way, type, state] (state: a reaction's, else null).
RECORD_SOCKET = """
window.__socket = [];
const note = (way, data) => {
  try {
    const frame = JSON.parse(String(data));
    window.__socket.push([way, frame.type, frame.state ?? null]);
  } catch {}
};
window.WebSocket = class extends window.WebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (event) => note("received", event.data));
  }
  send(data) {
    note("sent", data);
    return super.send(data);
  }
};
"""


SENT_TWO_REACTION_FRAMES = """() => window.__socket.filter(
    ([way, type]) => way === "sent" && type.startsWith("reaction.")
).length >= 2"""
RECEIVED_MY_REACTION_BACK = """() => window.__socket.some(
    ([way, type, state]) => way === "received" && type === "reaction" && state === "added"
)"""


def test_a_double_click_on_my_reaction_ends_as_shown_with_one_frame_at_a_time(browser, live_server_url):
    # given Ada's 🎉 on Grace's message, in Ada's page
    ada = register(live_server_url, "ada", "Ada")
    grace = register(live_server_url, "grace", "Grace")
    group = ada.conversation("group", members=[grace], title="Launch team")
    said = grace.say(group, "Shipped!")
    ada.call("POST", f"messages/{said}/reactions/", {"emoji": "🎉"})
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(RECORD_SOCKET)
    page = context.new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")
    mine = page.get_by_role("button", name="🎉 1, remove your reaction")
    expect(mine).to_have_attribute("aria-pressed", "true")

    # when she double-clicks it: off, and back on
    mine.dblclick()

    # then one frame went at a time: the removal, and once it came back the addition (it sent the removal
    # twice, and ended without her reaction)
    def reaction_frames() -> list[list[str | None]]:
        return [entry for entry in page.evaluate("window.__socket") if entry[1].startswith("reaction")]

    page.wait_for_function(SENT_TWO_REACTION_FRAMES)
    sent = [type_ for way, type_, _ in reaction_frames() if way == "sent"]
    assert sent == ["reaction.remove", "reaction.add"]
    page.wait_for_function(RECEIVED_MY_REACTION_BACK)
    assert reaction_frames() == [
        ["sent", "reaction.remove", None],
        ["received", "reaction", "removed"],
        ["sent", "reaction.add", None],
        ["received", "reaction", "added"],
    ]
    # and it ends as she saw it last, for everyone
    expect(mine).to_have_attribute("aria-pressed", "true")
    message = grace.call("GET", f"conversations/{group}/messages/")["results"][0]
    assert message["reactions"] == [{"emoji": "🎉", "count": 1, "users": [ada.id]}]
    context.close()


def test_a_new_display_name_shows_at_once_on_the_messages_already_on_screen(browser, live_server_url):
    # given Ada reading a group where Grace wrote
    grace, group, page = grace_wrote_since_ada_looked(browser, live_server_url, 1)
    page.get_by_role("link", name="Launch team").click()
    grace_wrote = page.get_by_test_id("message").filter(has_text="update 0")
    expect(grace_wrote).to_contain_text("Grace Hopper")

    # when Grace changes her display name (elsewhere: through the API)
    grace.call("PATCH", "users/me/", {"display_name": "Admiral Hopper"})

    # then Ada's page names her by it on the message already shown, without a reload
    expect(grace_wrote).to_contain_text("Admiral Hopper")
    expect(grace_wrote).not_to_contain_text("Grace Hopper")
    # and so does the sidebar's preview of her message
    expect(page.get_by_role("link", name="Launch team")).to_contain_text("Admiral Hopper")


def test_a_message_in_arabic_reads_right_to_left_beside_one_in_english(browser, live_server_url):
    # given Ada reading a group where Grace wrote in Arabic, then in English
    ada = register(live_server_url, "ada", "Ada")
    grace = register(live_server_url, "grace", "Grace")
    group = ada.conversation("group", members=[grace], title="Languages")
    grace.say(group, "مرحبا بالجميع، هذا نص عربي.")
    grace.say(group, "Hello everyone, this is English.")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")

    # then the Arabic one is laid out right to left, from the right (its full stop at its left end), and the
    # English one left to right (both were left to right)
    bodies = page.get_by_test_id("message-body")
    expect(bodies).to_have_count(2)
    arabic, english = bodies.nth(0), bodies.nth(1)
    expect(arabic).to_have_css("direction", "rtl")
    expect(english).to_have_css("direction", "ltr")
    # and so is the Arabic one at the top of its thread, beside the conversation
    first = page.get_by_test_id("message").first
    first.hover()
    first.get_by_role("button", name="Open thread").click()
    panel = page.get_by_role("complementary", name="Thread")
    root = panel.get_by_role("article", name="Thread started by Grace")
    expect(root.locator(".message-body")).to_have_css("direction", "rtl")
    page.context.close()


# Each character of an element's text, in order, with the middle of its box on screen (x, in CSS px).
CHARACTERS_LAID_OUT = """(element) => {
  const laidOut = [];
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const box = range.getBoundingClientRect();
      laidOut.push([node.data[i], box.left + box.width / 2]);
    }
  }
  return laidOut;
}"""


def where(locator, part: str) -> list[float]:
    """Where each character of `part` (found in the element's text) lies across the screen, in text order."""
    laid_out = locator.evaluate(CHARACTERS_LAID_OUT)
    text = "".join(character for character, _ in laid_out)
    start = text.index(part)
    return [x for _, x in laid_out[start : start + len(part)]]


def test_a_name_in_arabic_reads_right_to_left_inside_english_sentences(browser, live_server_url):
    # given a group named in Arabic, with two members named in Arabic, one of whom wrote
    ada = register(live_server_url, "ada", "Ada")
    sara = register(live_server_url, "sara", "سارة")
    ahmad = register(live_server_url, "ahmad", "أحمد")
    title = "أهلا وسهلا!"
    group = ada.conversation("group", members=[sara, ahmad], title=title)
    sara.say(group, "مرحبا بالجميع")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, ada)
    # the list's preview of her message has its colon after her name, not after her words
    preview = page.get_by_role("link", name=re.compile("^أهلا")).locator(".preview")
    expect(preview).to_have_text("سارة: مرحبا بالجميع")
    assert where(preview, ":")[0] > max(where(preview, "سارة"))
    page.goto(f"{live_server_url}/c/{group}")

    # then the start of its history names it inside a left-to-right sentence: the name reads right to left
    # (its "!" at its left end, not after it) and the sentence's full stop follows it on the right
    start = page.locator(".timeline-start")
    expect(start).to_have_text(f"This is the start of {title}.")
    name = where(start, title)
    assert name[-1] < name[0], "the name's ! is at its left end"
    assert where(start, f"{title}.")[-1] > max(name), "the full stop comes after the name"
    # her name comes before the time she wrote at (the time was pulled to its left)
    meta = page.get_by_test_id("message").first.locator(".message-meta")
    time_text = meta.locator("time").inner_text()
    assert min(where(meta, time_text)) > max(where(meta, "سارة"))
    # "Replying to سارة: مرحبا…" has its colon after her name, not after her words
    message = page.get_by_test_id("message").first
    message.hover()
    message.get_by_role("button", name="Reply").click()
    replying = page.locator(".replying span").first
    expect(replying).to_have_text("Replying to سارة: مرحبا بالجميع")
    assert where(replying, ":")[0] > max(where(replying, "سارة"))

    # when both read Ada's reply
    # and so does the title of its Members dialog (its "!" at the name's left end)
    page.get_by_role("button", name="3 members").click()
    heading = page.get_by_role("heading", name=f"Members of {title}")
    name = where(heading, title)
    assert name[-1] < name[0]
    page.keyboard.press("Escape")

    page.get_by_role("textbox", name="Message").fill("Hello both")
    page.get_by_role("textbox", name="Message").press("Enter")
    expect(page.get_by_test_id("message").last).to_have_attribute("data-state", "sent")
    last = ada.call("GET", f"conversations/{group}/")["last_seq"]
    for reader in (sara, ahmad):
        reader.call("POST", f"conversations/{group}/read/", {"seq": last})

    # then "Seen by" lists them left to right, each name whole before its comma (they ran together right to
    # left: the second name first, the comma after it)
    seen = page.get_by_test_id("seen-by")
    expect(seen).to_have_text(re.compile(r"^Seen by \S+, \S+$"))
    first, second = seen.inner_text().removeprefix("Seen by ").split(", ")
    comma = where(seen, ",")[0]
    assert max(where(seen, first)) < comma < min(where(seen, second))
    page.context.close()
