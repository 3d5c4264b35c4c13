"""Nothing is lost across an absence: a browser that was offline converges on every change made meanwhile,
drafts stay where they were left, and a message sent offline, or whose acknowledgement was lost, is
delivered exactly once after a reload (issue #27; docs/web.md, "Resuming")."""

import re

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from tests.e2e.admin import moderate
from tests.e2e.api import Account, log_in, register

pytestmark = pytest.mark.e2e


def open_as(browser: Browser, account: Account) -> Page:
    page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    log_in(page, account)
    return page


def link(page: Page, title: str):
    """A conversation in the sidebar (its name starts with the title: unread and presence follow)."""
    return page.get_by_role("navigation", name="Conversations").get_by_role(
        "link", name=re.compile(f"^{re.escape(title)}")
    )


def composer(page: Page):
    return page.get_by_role("textbox", name="Message")


def send(page: Page, text: str) -> None:
    composer(page).fill(text)
    composer(page).press("Enter")
    expect(message(page, text)).to_have_attribute("data-state", "sent")


def message(page: Page, text: str):
    return page.get_by_test_id("message").filter(
        has=page.get_by_test_id("message-body").get_by_text(text, exact=True)
    )


def sidebar(page: Page) -> list[tuple[str, str]]:
    """Each conversation's title and unread badge, as listed."""
    items = page.get_by_role("navigation", name="Conversations").locator(".conversation-item")
    return [
        (
            item.locator(".conversation-title").inner_text(),
            " ".join(item.get_by_test_id("unread-badge").all_inner_texts()),
        )
        for item in items.all()
    ]


def timeline(page: Page) -> list[str]:
    """Each message as shown: its text, reactions and send state. Not "Seen by": the REST API gives no
    member's read marker, so a fresh page load shows it only once a `read` event arrives."""
    shown = []
    for m in page.get_by_test_id("message").all():
        text = m.inner_text()
        for seen in m.get_by_test_id("seen-by").all_inner_texts():
            text = text.replace(seen, "")
        shown.append(" ".join(text.split()) + f" [{m.get_attribute('data-state')}]")
    return shown


def test_an_offline_browser_converges_on_every_change_without_a_reload(browser, parley_server):
    # given Ada and Bob in a group Bob owns (with Cy), a direct conversation, and a room Ada will leave
    url = parley_server.url
    ada, bob = register(url, "ada", "Ada"), register(url, "bob", "Bob")
    cy, dan = register(url, "cy", "Cy"), register(url, "dan", "Dan")
    launch = bob.conversation("group", members=[ada, cy], title="Launch")
    old_room = bob.conversation("group", members=[ada], title="Old room")
    direct = bob.conversation("direct", members=[ada])
    for body in ("to edit", "to delete", "abusive words"):
        bob.say(launch, body)
    bob.say(direct, "hello Ada")

    # Ada has read the direct conversation, and has the group open with her own message in it
    ada_page = open_as(browser, ada)
    link(ada_page, "Bob").click()
    expect(message(ada_page, "hello Ada")).to_be_visible()
    link(ada_page, "Launch").click()
    send(ada_page, "mine")
    # and a second tab on the room she will be removed from
    ada_tab = ada_page.context.new_page()
    ada_tab.goto(f"{url}/c/{old_room}")
    expect(ada_tab.get_by_role("heading", name="Old room")).to_be_visible()
    bob_page = open_as(browser, bob)

    # when Ada goes offline
    ada_page.context.set_offline(True)
    expect(ada_page.get_by_test_id("connection-banner")).to_be_visible()

    # and Bob reads (seen), sends, edits, deletes and reacts in the group
    link(bob_page, "Launch").click()
    send(bob_page, "while you were away")
    edited = message(bob_page, "to edit")
    edited.hover()
    edited.get_by_role("button", name="Edit").click()
    bob_page.get_by_label(re.compile("Edit message")).fill("edited while away")
    bob_page.get_by_label(re.compile("Edit message")).press("Enter")
    expect(message(bob_page, "edited while away")).to_be_visible()
    deleted = message(bob_page, "to delete")
    bob_page.once("dialog", lambda dialog: dialog.accept())
    deleted.hover()
    deleted.get_by_role("button", name="Delete").click()
    expect(message(bob_page, "to delete")).to_have_count(0)
    hers = message(bob_page, "mine")
    hers.hover()
    hers.get_by_role("button", name="Add reaction").click()
    hers.get_by_role("button", name="React with 🎉").click()
    expect(hers.get_by_role("button", name=re.compile("🎉 1"))).to_be_visible()
    # renames it, adds Dan and removes Cy; writes twice to her directly; removes her from a room, adds her
    # to a new one
    bob.call("PATCH", f"conversations/{launch}/", {"title": "Launch crew"})
    bob.call("POST", f"conversations/{launch}/members/", {"user": dan.id})
    bob.call("DELETE", f"conversations/{launch}/members/{cy.id}/")
    bob.say(direct, "are you there?")
    bob.say(direct, "still away?")
    bob.call("DELETE", f"conversations/{old_room}/members/{ada.id}/")
    new_room = bob.conversation("group", members=[ada], title="New room")
    bob.say(new_room, "welcome to the new room")
    # and a moderator removes the abusive message
    moderate(
        browser,
        parley_server,
        "messaging/message",
        search="abusive words",
        action="remove",
        reason="abusive",
        done="Removed: 1.",
    )
    expect(message(ada_page, "abusive words")).to_be_visible()  # Ada has heard of nothing yet

    # then, back online, Ada's page converges without a reload: the open group…
    ada_page.context.set_offline(False)
    expect(ada_page.get_by_role("heading", name="Launch crew")).to_be_visible()
    expect(message(ada_page, "abusive words")).to_have_count(0)
    expect(ada_page.get_by_text("This message was deleted.")).to_have_count(2)
    expect(message(ada_page, "edited while away")).to_contain_text("(edited)")
    expect(message(ada_page, "while you were away")).to_be_visible()
    expect(message(ada_page, "mine").get_by_role("button", name=re.compile("🎉 1"))).to_be_visible()
    expect(ada_page.get_by_test_id("seen-by")).to_have_text("Seen by Bob")
    expect(ada_page.get_by_test_id("conversation-subtitle")).to_contain_text("3 members")
    expect(ada_page.get_by_test_id("connection-banner")).to_have_count(0)
    # …the sidebar, and the other tab, which leaves the room she was removed from…
    expect(link(ada_page, "Old room")).to_have_count(0)
    expect(ada_tab.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()
    expect(link(ada_tab, "Old room")).to_have_count(0)
    expect(link(ada_tab, "New room")).to_be_visible()
    expect(link(ada_page, "New room")).to_be_visible()
    expect(link(ada_page, "Bob").get_by_test_id("unread-badge")).to_have_text("2")
    expect(link(ada_page, "New room").get_by_test_id("unread-badge")).to_have_text("1")
    # …and the direct conversation, whose history was loaded before she went offline
    link(ada_page, "Bob").click()
    expect(message(ada_page, "still away?")).to_be_visible()
    expect(ada_page.get_by_test_id("message-body")).to_have_text(
        ["hello Ada", "are you there?", "still away?"]
    )
    expect(link(ada_page, "Bob").get_by_test_id("unread-badge")).to_have_count(0)

    # and what she sees is what a fresh page load shows
    fresh = open_as(browser, ada)
    expect(link(fresh, "New room")).to_be_visible()
    assert sidebar(fresh) == sidebar(ada_page)
    link(ada_page, "Launch crew").click()
    link(fresh, "Launch crew").click()
    expect(message(fresh, "mine")).to_be_visible()
    expect(message(ada_page, "mine")).to_be_visible()
    assert timeline(fresh) == timeline(ada_page)
    for page in (ada_page, bob_page, fresh):
        page.context.close()


def test_a_draft_stays_with_its_conversation_across_switches_and_a_reload(browser, live_server_url):
    # given Ada in two groups
    ada, grace = register(live_server_url, "ada", "Ada"), register(live_server_url, "grace", "Grace")
    ada.conversation("group", members=[grace], title="Drafts one")
    ada.conversation("group", members=[grace], title="Drafts two")
    page = open_as(browser, ada)

    # when she starts a message in each, switching between them
    link(page, "Drafts one").click()
    composer(page).fill("half a thought")
    link(page, "Drafts two").click()
    expect(page.get_by_role("heading", name="Drafts two")).to_be_visible()
    expect(composer(page)).to_have_value("")
    composer(page).fill("another thought")
    link(page, "Drafts one").click()

    # then each draft is where she left it
    expect(composer(page)).to_have_value("half a thought")
    link(page, "Drafts two").click()
    expect(composer(page)).to_have_value("another thought")

    # also after a reload
    page.reload()
    expect(composer(page)).to_have_value("another thought")
    link(page, "Drafts one").click()
    expect(composer(page)).to_have_value("half a thought")

    # and a sent draft is gone
    composer(page).press("Enter")
    expect(message(page, "half a thought")).to_have_attribute("data-state", "sent")
    page.reload()
    expect(composer(page)).to_have_value("")
    page.context.close()


def test_a_draft_in_one_tab_outlives_a_message_sent_from_another(browser, live_server_url):
    # given Ada with a group open in two tabs of one browser
    ada, grace = register(live_server_url, "ada", "Ada"), register(live_server_url, "grace", "Grace")
    group = ada.conversation("group", members=[grace], title="Two tabs")
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    tab_a, tab_b = context.new_page(), context.new_page()
    log_in(tab_a, ada)
    tab_a.goto(f"{live_server_url}/c/{group}")
    tab_b.goto(f"{live_server_url}/c/{group}")

    # when she starts a message in tab A, then writes another in tab B (kept over A's) and sends it
    composer(tab_a).fill("half a thought in A")
    wait_until_draft_kept(tab_a, group, "half a thought in A")
    composer(tab_b).fill("sent from B")
    wait_until_draft_kept(tab_b, group, "sent from B")
    composer(tab_b).press("Enter")
    expect(message(tab_a, "sent from B")).to_have_attribute("data-state", "sent")

    # then tab A keeps what was typed in it, and B's box is empty
    expect(composer(tab_a)).to_have_value("half a thought in A")
    expect(composer(tab_b)).to_have_value("")
    # also after a reload of tab A (the send took the draft out of the browser's storage: A's was gone)
    wait_until_draft_kept(tab_a, group, "half a thought in A")
    tab_a.reload()
    expect(composer(tab_a)).to_have_value("half a thought in A")
    context.close()


def test_a_message_sent_offline_is_delivered_once_after_a_reload(browser, live_server_url):
    # given Ada and Bob in a direct conversation, both looking at it (Ada's browser has the app's shell
    # from its service worker: the app opens offline)
    ada, bob = register(live_server_url, "ada", "Ada"), register(live_server_url, "bob", "Bob")
    direct = bob.conversation("direct", members=[ada])
    ada_page, bob_page = open_as(browser, ada), open_as(browser, bob)
    link(ada_page, "Bob").click()
    link(bob_page, "Ada").click()
    expect(ada_page.get_by_text("This is the start of Bob.")).to_be_visible()
    ada_page.wait_for_function("navigator.serviceWorker.controller !== null")

    # when Ada writes while offline, it waits in her outbox
    ada_page.context.set_offline(True)
    expect(ada_page.get_by_test_id("connection-banner")).to_be_visible()
    composer(ada_page).fill("written offline")
    composer(ada_page).press("Enter")
    expect(message(ada_page, "written offline")).to_have_attribute("data-state", "pending")
    expect(message(ada_page, "written offline")).to_contain_text("Sending…")
    wait_until_kept_in_outbox(ada_page, "written offline")

    # and she reloads the page, still offline
    ada_page.reload()
    expect(ada_page.get_by_test_id("connection-banner")).to_be_visible()
    expect(message(bob_page, "written offline")).to_have_count(0)

    # then, back online, it is delivered once: in Bob's browser, in hers and in history
    ada_page.context.set_offline(False)
    expect(message(ada_page, "written offline")).to_have_attribute("data-state", "sent")
    expect(message(bob_page, "written offline")).to_have_count(1)
    assert bodies(bob, direct).count("written offline") == 1
    ada_page.reload()
    expect(message(ada_page, "written offline")).to_have_count(1)
    expect(message(bob_page, "written offline")).to_have_count(1)
    for page in (ada_page, bob_page):
        page.context.close()


def test_a_message_whose_ack_was_lost_is_not_delivered_twice_after_a_reload(browser, live_server_url):
    # given Ada and Bob in a direct conversation
    ada, bob = register(live_server_url, "ada", "Ada"), register(live_server_url, "bob", "Bob")
    direct = bob.conversation("direct", members=[ada])
    ada_page, bob_page = open_as(browser, ada), open_as(browser, bob)
    link(bob_page, "Ada").click()

    # when Ada's send reaches the server but nothing comes back to her page (the ack is lost)…
    deaf = deafen_after_send(ada_page)
    ada_page.reload()
    link(ada_page, "Bob").click()
    composer(ada_page).fill("did it go?")
    composer(ada_page).press("Enter")
    expect(message(bob_page, "did it go?")).to_have_count(1)
    expect(message(ada_page, "did it go?")).to_have_attribute("data-state", "pending")

    # …and she reloads the page, which sends its outbox again with the same client_id
    deaf["on"] = False
    ada_page.reload()

    # then the message is shown once everywhere, and stored once
    expect(message(ada_page, "did it go?")).to_have_attribute("data-state", "sent")
    expect(message(ada_page, "did it go?")).to_have_count(1)
    expect(message(bob_page, "did it go?")).to_have_count(1)
    assert bodies(bob, direct).count("did it go?") == 1
    for page in (ada_page, bob_page):
        page.context.close()


# A record with these fields in one of the app's IndexedDB stores (its outbox, its drafts: shared by a
# browser's tabs), looked for until it is there (true) or 10 s have passed (false).
STORED = """async ([store, fields]) => {
    const stored = async () => {
        const db = await new Promise((resolve, reject) => {
            const opening = indexedDB.open("parley");
            opening.onsuccess = () => resolve(opening.result);
            opening.onerror = () => reject(opening.error);
        });
        try {
            const records = await new Promise((resolve, reject) => {
                const reading = db.transaction(store).objectStore(store).getAll();
                reading.onsuccess = () => resolve(reading.result);
                reading.onerror = () => reject(reading.error);
            });
            const matches = (record) => Object.entries(fields).every(([key, value]) => record[key] === value);
            return records.some(matches);
        } finally {
            db.close();
        }
    };
    const deadline = Date.now() + 10000;
    while (!(await stored())) {
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
}"""


def wait_until_kept_in_outbox(page: Page, body: str) -> None:
    """The app shows a message as sending at once and keeps it in its outbox a moment later (docs/web.md): a
    reload in between would find nothing to send again, as a browser closed at that instant would."""
    assert page.evaluate(STORED, ["outbox", {"body": body}]), f"{body!r} never reached the outbox"


def wait_until_draft_kept(page: Page, conversation: int, text: str) -> None:
    fields = {"conversation": conversation, "text": text}
    assert page.evaluate(STORED, ["drafts", fields]), f"{text!r} is not the draft kept"


def bodies(account: Account, conversation: int) -> list[str]:
    return [
        m["body"] for m in account.call("GET", f"conversations/{conversation}/messages/?limit=100")["results"]
    ]


def deafen_after_send(page: Page) -> dict[str, bool]:
    """While `["on"]`, once the page has sent a message nothing the server says reaches it."""
    state = {"on": True, "sent": False}

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(frame: str | bytes) -> None:
            if state["on"] and '"message.send"' in str(frame):
                state["sent"] = True
            server.send(frame)

        def to_page(frame: str | bytes) -> None:
            if not (state["on"] and state["sent"]):
                ws.send(frame)

        ws.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket(re.compile(r"/ws/"), route)
    return state


def test_while_the_socket_is_lost_nobody_is_shown_online(browser, live_server_url):
    # given Ada in a direct conversation with Grace, who has Parley open
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace", "Grace Hopper")
    direct = ada.conversation("direct", members=[grace])
    grace_page = open_as(browser, grace)
    ada_page = open_as(browser, ada)
    ada_page.goto(f"{live_server_url}/c/{direct}")
    subtitle = ada_page.get_by_test_id("conversation-subtitle")
    expect(subtitle).to_have_text("Online")
    expect(link(ada_page, "Grace Hopper")).to_have_accessible_name(re.compile(r"^Grace Hopper ?, online,"))

    # when Ada's network goes, and Grace closes Parley meanwhile (Ada cannot hear of it)
    ada_page.context.set_offline(True)
    grace_page.context.close()

    # then Ada is not told Grace is online: her presence is unknown, in the header and the list alike
    expect(subtitle).to_have_text("Status unknown until you are back online")
    expect(link(ada_page, "Grace Hopper")).not_to_have_accessible_name(re.compile("online|idle|offline"))
    # and back online, what holds now: Grace is offline
    ada_page.context.set_offline(False)
    expect(subtitle).to_have_text("Offline")
    expect(link(ada_page, "Grace Hopper")).to_have_accessible_name(re.compile(r"^Grace Hopper ?, offline,"))
