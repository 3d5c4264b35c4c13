"""The Members dialog, through the UI: an owner removes members and changes roles without losing her place
(focus stays in the list), and adds people to a channel, whose dialog follows who joins meanwhile."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.api import Account, channel_name, log_in, register

pytestmark = pytest.mark.e2e


def open_members(page: Page, account: Account, conversation: int, count: str):
    log_in(page, account)
    page.goto(f"{account.base_url}/c/{conversation}")
    page.get_by_role("button", name=count).click()
    return page.get_by_role("dialog", name=re.compile("^Members of "))


def test_removing_a_member_or_changing_a_role_keeps_the_keyboard_in_the_list(browser, live_server_url):
    # given Ada's group with Grace, Linus and Margaret, its Members dialog open
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    linus = register(live_server_url, "linus", "Linus Torvalds")
    margaret = register(live_server_url, "margaret", "Margaret Hamilton")
    group = ada.conversation("group", members=[grace, linus, margaret], title="Engine room")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove Grace Hopper from Engine room?"
    members = open_members(page, ada, group, "4 members")

    # when she removes Grace (the members are listed by name: Ada, Grace, Linus, Margaret)
    members.get_by_role("button", name="Remove Grace Hopper").click()
    expect(members.get_by_role("status")).to_have_text("Grace Hopper removed.")
    expect(members.get_by_role("listitem")).to_have_count(3)

    # then focus is on the next one's Remove (it fell to the page's body), and Enter goes on from there
    expect(members.get_by_role("button", name="Remove Linus Torvalds")).to_be_focused()
    page.keyboard.press("Enter")
    expect(members.get_by_role("status")).to_have_text("Linus Torvalds removed.")
    expect(members.get_by_role("button", name="Remove Margaret Hamilton")).to_be_focused()
    # and removing the last one leaves focus on the one before it
    page.keyboard.press("Enter")
    expect(members.get_by_role("status")).to_have_text("Margaret Hamilton removed.")
    expect(members.get_by_role("listitem")).to_have_count(1)
    expect(members.get_by_role("list", name="Members")).to_be_focused()

    # and a role changed from the keyboard keeps focus on its choice
    page.get_by_role("button", name="Close").click()
    ada.call("POST", f"conversations/{group}/members/", {"user": grace.id})
    page.get_by_role("button", name="2 members").click()
    role = members.get_by_label("Role of Grace Hopper")
    role.focus()
    role.select_option("admin")
    expect(members.get_by_role("status")).to_have_text("Grace Hopper is now an admin.")
    expect(role).to_have_value("admin")
    expect(role).to_be_focused()
    # and Ada stepping down to admin, whose own choice goes with her role, finds focus on the list
    role.select_option("owner")
    expect(members.get_by_role("status")).to_have_text("Grace Hopper is now an owner.")
    mine = members.get_by_label("Role of Ada Lovelace")
    mine.focus()
    mine.select_option("member")
    expect(members.get_by_role("status")).to_have_text("You are now a member.")
    expect(members.get_by_label(re.compile("^Role of"))).to_have_count(0)
    expect(members.get_by_role("list", name="Members")).to_be_focused()
    page.context.close()


def test_a_channels_members_dialog_says_who_is_already_in_and_follows_who_joins(browser, live_server_url):
    # given Ada's public channel with Grace; Linus and Margaret are not in it
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    linus = register(live_server_url, "linus", "Linus Torvalds")
    margaret = register(live_server_url, "margaret", "Margaret Hamilton")
    channel = ada.conversation("channel", members=[grace], title=channel_name("launch"), public=True)
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    members = open_members(page, ada, channel, "2 members")
    add = members.get_by_label("Search people to add")
    people = members.get_by_role("list", name="People")

    # when Ada looks for Grace to add her (by username: other tests' Graces are about)
    add.fill(grace.username)

    # then Grace is not offered, and the list says she is in already (she was offered, and "added")
    expect(people.get_by_role("listitem")).to_have_text(f"Grace Hopper @{grace.username} already a member")
    expect(people.get_by_role("button")).to_have_count(0)

    # when she adds Linus
    add.fill(linus.username)
    people.get_by_role("button", name=re.compile("^Linus Torvalds")).click()

    # then she is told so, the search is cleared for the next (it said "No one found.") and she types on
    expect(members.get_by_role("status")).to_have_text("Linus Torvalds added.")
    expect(add).to_have_value("")
    expect(add).to_be_focused()
    expect(members.get_by_text("No one found.")).to_have_count(0)
    expect(members.get_by_test_id("member-count")).to_have_text("3 members")
    member_list = members.get_by_role("list", name="Members")
    members.get_by_label("Find members").fill("Linus")
    expect(member_list.get_by_role("listitem")).to_have_count(1)
    expect(member_list.get_by_role("listitem")).to_contain_text("Linus Torvalds")

    # when Margaret, whom Ada is looking for in both lists, joins the channel meanwhile
    members.get_by_label("Find members").fill("Margaret")
    expect(members.get_by_text("No member found.")).to_be_visible()
    add.fill(margaret.username)
    expect(people.get_by_role("button", name=re.compile("^Margaret Hamilton"))).to_be_visible()
    margaret.call("POST", f"conversations/{channel}/join/")

    # then both show it without a new search: she is listed, and no longer offered
    expect(members.get_by_test_id("member-count")).to_have_text("4 members")
    expect(member_list.get_by_role("listitem")).to_contain_text("Margaret Hamilton")
    already = f"Margaret Hamilton @{margaret.username} already a member"
    expect(people.get_by_role("listitem")).to_have_text(already)
    expect(people.get_by_role("button")).to_have_count(0)
    # and when she leaves, she is offered again and gone from the members found
    margaret.call("POST", f"conversations/{channel}/leave/")
    expect(members.get_by_text("No member found.")).to_be_visible()
    expect(people.get_by_role("button", name=re.compile("^Margaret Hamilton"))).to_be_visible()
    page.context.close()


def test_one_who_leaves_is_no_longer_named_among_those_who_saw_my_message(browser, live_server_url):
    # given Ada's message in her group, seen by Grace and Linus while she looks at it
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    linus = register(live_server_url, "linus", "Linus Torvalds")
    group = ada.conversation("group", members=[grace, linus], title="Engine room")
    body = {"body": "Standup at ten", "client_id": str(uuid.uuid4())}
    seq = ada.call("POST", f"conversations/{group}/messages/", body)["seq"]
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{group}")
    expect(page.get_by_test_id("message-body")).to_have_text("Standup at ten")
    for reader in (grace, linus):
        reader.call("POST", f"conversations/{group}/read/", {"seq": seq})
    seen = page.get_by_test_id("seen-by")
    expect(seen).to_have_text(
        re.compile(r"^Seen by (Grace Hopper, Linus Torvalds|Linus Torvalds, Grace Hopper)$")
    )

    # when Linus leaves the group
    linus.call("DELETE", f"conversations/{group}/members/{linus.id}/")

    # then he is no longer among those who saw it (he was "Someone": "Seen by Grace Hopper, Someone")
    expect(page.get_by_test_id("conversation-subtitle")).to_contain_text("2 members")
    expect(seen).to_have_text("Seen by Grace Hopper")
    page.context.close()


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 375, "height": 740}], ids=["desktop", "phone"]
)
def test_one_removed_from_the_group_they_are_reading_is_told_so(browser, live_server_url, viewport):
    # given Grace reading Ada's group
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = ada.conversation("group", members=[grace], title="Engine room")
    ada.say(group, "Standup at ten")
    page = browser.new_context(viewport=viewport).new_page()
    log_in(page, grace)
    page.goto(f"{live_server_url}/c/{group}")
    expect(page.get_by_test_id("message-body")).to_have_text("Standup at ten")

    # when Ada removes her
    ada.call("DELETE", f"conversations/{group}/members/{grace.id}/")

    # then the group closes and she is told why (it vanished without a word, as if it had never been)
    expect(page).to_have_url(f"{live_server_url}/")
    notice = page.get_by_role("status").filter(has_text="You are no longer a member of Engine room.")
    expect(notice).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Engine room"))).to_have_count(0)
    # and it does not follow her elsewhere
    page.get_by_role("link", name="Mentions").click()
    expect(notice).to_have_count(0)
    page.context.close()


def test_one_who_leaves_a_group_goes_home_without_being_told_they_are_no_longer_a_member(
    browser, live_server_url
):
    # given Grace reading Ada's group
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = ada.conversation("group", members=[grace], title="Engine room")
    ada.say(group, "Standup at ten")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, grace)
    page.goto(f"{live_server_url}/c/{group}")
    expect(page.get_by_test_id("message-body")).to_have_text("Standup at ten")

    # when she leaves it herself, from its header
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Leave").click()

    # then she is home, the group gone from her list, and not told what she just did as if it had been done
    # to her ("You are no longer a member of Engine room.", the notice of one removed)
    expect(page).to_have_url(f"{live_server_url}/")
    expect(page.get_by_role("link", name=re.compile("Engine room"))).to_have_count(0)
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    expect(page.get_by_text("You are no longer a member of Engine room.")).to_have_count(0)
    page.context.close()
