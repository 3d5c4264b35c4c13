"""The email verification link's page in Chromium: the link emailed at sign-up (read off the SMTP server),
then other links opened in the same tab."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import axe_violations
from tests.e2e.test_account_security import person

pytestmark = pytest.mark.e2e


def test_the_email_address_is_confirmed_by_its_link_and_other_links_are_judged_anew(
    browser, live_server_url, mail_server
):
    # given Ivy signed up, and the link emailed to her
    ivy = person(browser, live_server_url, "ivy")
    ivy.sign_up()
    [email] = mail_server.wait_for(
        f"{ivy.username}@example.com", subject="Confirm your email address for Parley"
    )
    [link] = [link for link in email.links if "/verify-email#" in link]
    page = ivy.page

    # when she opens it, it confirms her address
    page.goto(link)
    expect(page.get_by_role("status")).to_have_text("Your email address is confirmed.")

    # then a mistyped link opened in the same tab (only the part after # changes) is refused (it still said
    # the address was confirmed)
    page.goto(f"{live_server_url}/verify-email#{uuid.uuid4().hex}")
    expect(page.get_by_role("alert")).to_contain_text("This verification link is invalid or has expired")
    expect(page.get_by_text("Your email address is confirmed.")).to_have_count(0)
    # and a link without its token says it is incomplete (it said "This field may not be blank.")
    page.goto(f"{live_server_url}/verify-email")
    expect(page.get_by_role("alert")).to_have_text("This link is incomplete: open it from the email again.")
    assert axe_violations(page) == []
