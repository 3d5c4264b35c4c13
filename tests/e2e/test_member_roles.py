"""Roles in a channel, through the UI: its owner finds a member and makes them an owner, who gets an owner's
controls at once, without a reload, and renames the channel; the only owner is told to appoint another before
stepping down."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.api import channel_name, log_in, register

pytestmark = pytest.mark.e2e

ONLY_OWNER = "You are the only owner: appoint another owner first, then step down."


def test_a_member_made_owner_gets_the_owners_controls_at_once_and_renames_the_channel(
    browser, live_server_url
):
    # given Ada's channel with Grace, each of them looking at it
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    channel = ada.conversation("channel", members=[grace], title="launch")
    ada_page, grace_page = (
        browser.new_context(viewport={"width": 1280, "height": 800}).new_page() for _ in "ag"
    )
    for page, person in ((ada_page, ada), (grace_page, grace)):
        page.on("dialog", lambda dialog: dialog.accept())  # "Step down from owner to admin of # liftoff?"
        log_in(page, person)
        page.goto(f"{live_server_url}/c/{channel}")
        expect(page.get_by_role("heading", name="# launch", level=1)).to_be_visible()
    grace_page.evaluate("window.sameDocument = true")  # gone after a reload
    # Grace, a plain member, may neither edit the channel nor change anyone's role
    expect(grace_page.get_by_role("button", name="Edit conversation")).to_have_count(0)

    # when Ada finds her among the channel's members and makes her an owner
    ada_page.get_by_role("button", name="2 members").click()
    members = ada_page.get_by_role("dialog", name=re.compile("^Members of # "))
    members.get_by_label("Find members").fill("Grace")
    expect(members.get_by_role("listitem")).to_have_count(1)
    members.get_by_label("Role of Grace Hopper").select_option("owner")
    expect(members.get_by_role("status")).to_have_text("Grace Hopper is now an owner.")

    # then Grace has an owner's controls at once: Edit, and the members' roles to change
    expect(grace_page.get_by_role("button", name="Edit conversation")).to_be_visible()
    grace_page.get_by_role("button", name="2 members").click()
    her_members = grace_page.get_by_role("dialog", name=re.compile("^Members of # "))
    expect(her_members.get_by_label("Role of Ada Lovelace")).to_have_value("owner")
    her_members.get_by_role("button", name="Close").click()
    # and she renames the channel, and Ada sees its new name
    grace_page.get_by_role("button", name="Edit conversation").click()
    edit = grace_page.get_by_role("dialog", name=re.compile("^Edit # "))
    expect(edit).to_have_accessible_name("Edit # launch")
    edit.get_by_label("Name").fill("liftoff")
    edit.get_by_role("button", name="Rename").click()
    expect(edit.get_by_role("status")).to_have_text("Renamed to liftoff.")
    expect(edit).to_have_accessible_name("Edit # liftoff")
    expect(ada_page.get_by_role("heading", name="# liftoff", level=1)).to_be_visible()
    edit.get_by_role("button", name="Close").click()
    assert grace_page.evaluate("window.sameDocument") is True

    # and once Ada has stepped down (after saying she means it), Grace, the only owner, is told why she can't
    members.get_by_label("Find members").fill("")
    members.get_by_label("Role of Ada Lovelace").select_option("admin")
    expect(members.get_by_role("status")).to_have_text("You are now an admin.")
    expect(members.get_by_label(re.compile("^Role of"))).to_have_count(0)  # an admin changes no roles
    # nor removes an owner: no Remove beside Grace (it was offered, and always refused)
    members.get_by_label("Find members").fill("Grace")
    expect(members.get_by_role("listitem")).to_have_count(1)
    expect(members.get_by_role("button", name="Remove Grace Hopper")).to_have_count(0)
    grace_page.get_by_role("button", name="2 members").click()
    her_members.get_by_label("Find members").fill("Grace")
    her_members.get_by_label("Role of Grace Hopper").select_option("member")
    expect(her_members.get_by_role("alert")).to_have_text(ONLY_OWNER)
    expect(her_members.get_by_label("Role of Grace Hopper")).to_have_value("owner")
    for page in (ada_page, grace_page):
        page.context.close()


def test_a_rename_made_elsewhere_shows_in_an_open_edit_dialog(browser, live_server_url):
    # given Grace, an admin of Ada's group, with its Edit dialog open
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = ada.conversation("group", members=[grace], title="Engine room")
    ada.call("PATCH", f"conversations/{group}/members/{grace.id}/", {"role": "admin"})
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, grace)
    page.goto(f"{live_server_url}/c/{group}")
    page.get_by_role("button", name="Edit conversation").click()
    edit = page.get_by_role("dialog", name=re.compile("^Edit "))
    expect(edit.get_by_label("Name")).to_have_value("Engine room")

    # when Ada renames it meanwhile
    ada.call("PATCH", f"conversations/{group}/", {"title": "Engine room 2"})

    # then Grace's field shows the new name (it kept the old one, and Rename would have put it back)
    expect(edit).to_have_accessible_name("Edit Engine room 2")
    expect(edit.get_by_label("Name")).to_have_value("Engine room 2")
    expect(edit.get_by_role("button", name="Rename")).to_be_disabled()
    page.context.close()


def test_renaming_a_public_channel_to_another_public_channel_s_name_says_why_it_cannot(
    browser, live_server_url
):
    # given Ada's public channels "general" and "launch", Ada looking at "launch"
    ada = register(live_server_url, "ada", "Ada Lovelace")
    general, launch_name = channel_name("general"), channel_name("launch")
    ada.conversation("channel", members=[], title=general, public=True)
    launch = ada.conversation("channel", members=[], title=launch_name, public=True)
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/c/{launch}")
    expect(page.get_by_role("heading", name=f"# {launch_name}", level=1)).to_be_visible()

    # when she renames it the other's name, capitalised
    page.get_by_role("button", name="Edit conversation").click()
    edit = page.get_by_role("dialog", name=re.compile("^Edit # "))
    edit.get_by_label("Name").fill(general.capitalize())
    edit.get_by_role("button", name="Rename").click()

    # then the dialog says why, in the server's words, and the channel keeps its name
    expect(edit.get_by_role("alert")).to_have_text(
        f"There is already a public channel called “{general}”: choose another name."
    )
    expect(edit).to_have_accessible_name(f"Edit # {launch_name}")
    expect(page.get_by_role("heading", name=f"# {launch_name}", level=1)).to_be_visible()
