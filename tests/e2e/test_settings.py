"""Settings: what a change did is said where it was made."""

import pytest
from playwright.sync_api import expect

from tests.e2e.api import log_in, register

pytestmark = pytest.mark.e2e


def test_a_saved_profile_and_a_notification_level_say_so_beside_what_was_changed(browser, live_server_url):
    # given Ada in Settings on a laptop's screen
    ada = register(live_server_url, "ada", "Ada")
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    log_in(page, ada)
    page.goto(f"{live_server_url}/settings")

    # when she saves a new display name
    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_role("button", name="Save profile").click()

    # then she is told so under the button, on the screen she is looking at (it was said at the foot of the
    # page, below the fold of this screen: she saw nothing happen)
    said = page.get_by_role("status").filter(has_text="Profile saved.")
    expect(said).to_have_count(1)
    expect(said).to_be_in_viewport()
    assert page.get_by_role("button", name="Save profile").bounding_box()["y"] < said.bounding_box()["y"]

    # and when she changes a kind of conversation's level, that is said under the levels, and only that
    groups = page.get_by_label("Groups")
    groups.scroll_into_view_if_needed()
    groups.select_option("mentions")
    levels_said = page.get_by_role("status").filter(has_text="Notification settings saved.")
    expect(levels_said).to_have_count(1)
    expect(levels_said).to_be_in_viewport()
    expect(said).to_have_count(0)
    assert ada.call("GET", "users/me/notifications/")["group"] == "mentions"
    page.context.close()
