"""An account deleted is followed by open tabs (found by a QA pass: Fred, who had posted, deleted his account
and Ada's open tab went on showing "Fred" and his words until a reload). Now the open conversation blanks his
messages and names him "Deleted user", as do the sidebar and a direct conversation's title, live; and a tab
that was offline meanwhile gets there by its sync when it is back."""

import pytest
from playwright.sync_api import expect

from tests.e2e.api import PASSWORD, log_in, register

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1200, "height": 800}}


def test_an_erased_account_is_blanked_and_renamed_in_open_tabs(browser, live_server_url):
    # given fred, who wrote in a group and a direct conversation with ada, and reacted to her message
    ada, fred = register(live_server_url, "ada", "Ada"), register(live_server_url, "fred", "Fred")
    team = ada.conversation("group", members=[fred], title="Team")
    direct = fred.conversation("direct", members=[ada])
    hers = ada.say(team, "Morning all")
    fred.say(team, "Fred's secret plan")
    fred.say(direct, "Fred's private note")
    fred.call("POST", f"messages/{hers}/reactions/", {"emoji": "🎉"})
    live = browser.new_context(**DESKTOP).new_page()
    away_context = browser.new_context(**DESKTOP)
    away = away_context.new_page()
    for page, conversation in ((live, team), (away, direct)):
        log_in(page, ada)
        page.goto(f"{live_server_url}/c/{conversation}")
    expect(live.get_by_test_id("message").last).to_contain_text("Fred's secret plan")
    expect(live.get_by_test_id("message").last).to_contain_text("Fred")
    expect(live.get_by_role("button", name="🎉 1, react")).to_be_visible()
    expect(away.get_by_test_id("message").last).to_contain_text("Fred's private note")
    away_context.set_offline(True)

    # when fred deletes his account
    fred.call("POST", "users/me/delete/", {"password": PASSWORD})

    # then ada's open tab shows his message deleted, under "Deleted user", and his reaction gone, no reload
    message = live.get_by_test_id("message").last
    expect(message).to_contain_text("This message was deleted.")
    expect(message).to_contain_text("Deleted user")
    expect(live.get_by_text("Fred's secret plan")).to_have_count(0)
    expect(live.get_by_role("button", name="🎉 1, react")).to_have_count(0)
    # the sidebar: the direct conversation is "Deleted user"'s, its preview no longer his words
    sidebar = live.get_by_role("navigation", name="Conversations")
    expect(sidebar).to_contain_text("Deleted user")
    expect(sidebar).not_to_contain_text("Fred")
    # and the tab that was offline meanwhile gets there once back, by its sync
    away_context.set_offline(False)
    expect(away.get_by_test_id("message").last).to_contain_text("This message was deleted.")
    expect(away.get_by_text("Fred's private note")).to_have_count(0)
    expect(away.get_by_role("heading", level=1)).to_have_text("Deleted user")
