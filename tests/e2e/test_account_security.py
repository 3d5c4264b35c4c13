"""The account's screens in Chromium: change the password, reset it through the emailed link (read off the
SMTP server), turn on two-factor authentication (staff too, when the workspace requires it) and sign in with a
code, sign another session out, block someone, download one's data, delete the account."""

import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.accounts.helpers import totp_code
from tests.e2e.api import call
from tests.e2e.axe import axe_violations
from tests.e2e.conftest import LiveServer
from tests.e2e.test_chat_flow import Person

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough passphrase 42"
NEW_PASSWORD = "a different passphrase 43"


def person(browser, live_server_url, name: str) -> Person:
    return Person(browser.new_context(viewport={"width": 1100, "height": 760}), live_server_url, name)


def log_in(someone: Person, password: str = PASSWORD) -> None:
    page = someone.page
    page.goto(f"{someone.base_url}/login")
    page.get_by_label("Username").fill(someone.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def signed_in(someone: Person) -> None:
    expect(someone.page.get_by_role("navigation", name="Conversations")).to_be_visible()


def signed_out(someone: Person) -> None:
    expect(someone.page.get_by_role("heading", name="Log in")).to_be_visible()


def open_security(someone: Person) -> None:
    someone.page.goto(f"{someone.base_url}/settings/security")
    expect(someone.page.get_by_role("heading", name="Security")).to_be_visible()


def signed_in_on_two_devices(browser, live_server_url, name: str, device: str) -> tuple[Person, Person]:
    """`name` signed up on a desktop, and signed in on a second device (another browser context)."""
    someone = person(browser, live_server_url, name)
    someone.sign_up()
    other = Person(browser.new_context(), live_server_url, device)
    other.username = someone.username
    log_in(other)
    signed_in(other)
    return someone, other


def test_changing_the_password_signs_the_other_device_out(browser, live_server_url):
    # given: Ada signed in on two devices
    ada, phone = signed_in_on_two_devices(browser, live_server_url, "ada", "phone")

    # when: she changes her password on the first
    open_security(ada)
    ada.page.get_by_label("Current password").fill(PASSWORD)
    ada.page.get_by_role("textbox", name="New password").fill(NEW_PASSWORD)
    ada.page.get_by_role("button", name="Change password").click()

    # then: this device stays signed in, the other is signed out at once, and the new password works
    expect(ada.page.get_by_role("status").filter(has_text="Password changed")).to_be_visible()
    signed_out(phone)
    log_in(phone, NEW_PASSWORD)
    signed_in(phone)
    assert ada.errors == []


def test_a_forgotten_password_is_reset_through_the_emailed_link(browser, live_server_url, mail_server):
    bob = person(browser, live_server_url, "bob")
    bob.sign_up()
    bob.context.clear_cookies()
    page = bob.page

    # when: he asks for a link from the log-in screen
    page.goto(f"{live_server_url}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    assert axe_violations(page) == []
    page.get_by_label("Email").fill(f"{bob.username}@example.com")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account uses this address")

    # and opens the link from the email the SMTP server received, and chooses a new password
    [email] = mail_server.wait_for(f"{bob.username}@example.com", subject="Reset your Parley password")
    [link] = email.links
    page.goto(link)
    assert axe_violations(page) == []
    page.get_by_role("textbox", name="New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is set")

    # then: the new password signs him in; the link does not work twice
    log_in(bob, NEW_PASSWORD)
    signed_in(bob)
    page.goto(link)
    page.get_by_role("textbox", name="New password").fill("yet another passphrase 44")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_contain_text("This reset link is invalid")


def test_two_factor_authentication_is_turned_on_and_asked_at_sign_in(browser, live_server_url):
    cy = person(browser, live_server_url, "cy")
    cy.sign_up()
    open_security(cy)
    page = cy.page

    # when: she scans the QR code (here: reads the key) and confirms with the app's code
    page.get_by_role("button", name="Set up two-factor authentication").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert axe_violations(page) == []  # the whole Security screen, with the set-up open
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code from your app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on", exact=True).click()

    # then: recovery codes are shown once, and the next sign-in asks for a code
    expect(page.get_by_role("region", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    cy.context.clear_cookies()
    log_in(cy)
    page.get_by_label("Two-factor code").fill(totp_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Log in").click()
    signed_in(cy)

    # and with it on, "New recovery codes" and "Turn off" each have their own code box, named apart (one value
    # filled both, each labelled "Code from your app")
    open_security(cy)
    new_codes_box = page.get_by_role("textbox", name="Code from your app, for new recovery codes", exact=True)
    turn_off_box = page.get_by_role(
        "textbox", name="Code from your app or a recovery code, to turn off", exact=True
    )
    new_codes_box.fill(totp_code(secret, steps_ahead=2))
    expect(turn_off_box).to_have_value("")
    assert axe_violations(page) == []
    page.get_by_role("button", name="New recovery codes").click()
    expect(page.get_by_role("region", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    expect(new_codes_box).to_have_value("")


def test_a_session_is_signed_out_from_the_list(browser, live_server_url):
    dan, laptop = signed_in_on_two_devices(browser, live_server_url, "dan", "laptop")

    open_security(dan)
    sessions = dan.page.get_by_role("list", name="Sessions").get_by_role("listitem")
    expect(sessions).to_have_count(2)
    expect(sessions.filter(has_text="This device")).to_have_count(1)
    sessions.filter(has_not_text="This device").get_by_role("button", name=re.compile("Sign out")).click()

    expect(sessions).to_have_count(1)
    signed_out(laptop)
    expect(laptop.page.get_by_role("status")).to_contain_text("You were signed out: your session ended")
    # and the laptop keeps nothing of Dan's: opened again without a network, it does not open as him (it did,
    # from the profile it remembered)
    laptop.context.set_offline(True)
    laptop.page.reload()
    expect(laptop.page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(laptop.page.get_by_role("navigation", name="Conversations")).to_have_count(0)
    laptop.context.set_offline(False)
    # and logging out oneself says nothing of the kind
    dan.page.goto(f"{live_server_url}/settings")
    dan.page.get_by_role("button", name="Log out").click()
    signed_out(dan)
    expect(dan.page.get_by_text("You were signed out")).to_have_count(0)


def test_each_session_says_when_it_signed_in_and_is_signed_out_by_a_name_of_its_own(browser, live_server_url):
    # given Ian signed in on three devices of one kind (the same browser on the same system)
    ian, laptop = signed_in_on_two_devices(browser, live_server_url, "ian", "laptop")
    tablet = Person(browser.new_context(), live_server_url, "tablet")
    tablet.username = ian.username
    log_in(tablet)
    signed_in(tablet)

    # when he looks at where he is signed in
    open_security(ian)
    sessions = ian.page.get_by_role("list", name="Sessions").get_by_role("listitem")
    expect(sessions).to_have_count(3)

    # then each row says when it signed in, and each Sign out button's name says which session it ends (they
    # were all "Sign out HeadlessChrome … on Linux")
    for row in sessions.all():
        expect(row).to_contain_text(re.compile(r"Signed in \S+"))
    buttons = sessions.get_by_role("button", name=re.compile("^Sign out"))
    expect(buttons).to_have_count(2)
    names = [button.get_attribute("aria-label") or "" for button in buttons.all()]
    assert len(set(names)) == 2, names
    assert all(re.search(r", signed in \S+ .* from 127\.0\.0\.1", name) for name in names), names
    # and the name leads to the session it ends: the other devices stay, one of them signed out
    ian.page.get_by_role("button", name=names[0], exact=True).click()
    expect(sessions).to_have_count(2)
    expect(ian.page.get_by_role("button", name=names[0], exact=True)).to_have_count(0)


def test_two_tabs_refreshing_at_once_both_stay_signed_in(browser, live_server_url):
    # given Gil signed in, with Parley open in two tabs (one browser: one refresh cookie, rotated at each use)
    gil = person(browser, live_server_url, "gil")
    gil.sign_up()
    signed_in(gil)
    tabs = [gil.page, gil.context.new_page()]
    tabs[1].goto(live_server_url)
    # when both load at the same moment, again and again (each trades the cookie for an access token)
    for _ in range(8):
        for tab in tabs:
            tab.reload(wait_until="commit")  # the app then starts in both, each refreshing first
        # then both are still signed in (one of them was often shown 'your session ended')
        for tab in tabs:
            expect(tab.get_by_role("navigation", name="Conversations")).to_be_visible()
            expect(tab.get_by_role("heading", name="Log in")).to_have_count(0)


def test_signing_out_everywhere_says_when_it_could_not(browser, live_server_url):
    # given Dan signed in on two devices, his security settings open on one
    dan, laptop = signed_in_on_two_devices(browser, live_server_url, "dan", "laptop")
    open_security(dan)
    dan.page.on("dialog", lambda dialog: dialog.accept())
    sessions = dan.page.get_by_role("list", name="Sessions").get_by_role("listitem")
    expect(sessions).to_have_count(2)

    # when he signs out everywhere without a network, it says nothing was signed out, and he is still in
    # (he was shown the sign-in page as if it had worked, every session still live)
    dan.context.set_offline(True)
    dan.page.get_by_role("button", name="Sign out everywhere").click()
    expect(dan.page.get_by_role("alert")).to_contain_text("Not signed out anywhere")
    expect(dan.page.get_by_role("button", name="Sign out everywhere")).to_be_visible()
    # and back online it signs out both devices
    dan.context.set_offline(False)
    dan.page.get_by_role("button", name="Sign out everywhere").click()
    signed_out(dan)
    laptop.page.reload()
    signed_out(laptop)


def test_blocking_stops_direct_messages_and_is_undone_in_settings(browser, live_server_url):
    # given: Eve and Fay in a direct conversation
    eve, fay = person(browser, live_server_url, "eve"), person(browser, live_server_url, "fay")
    eve.sign_up()
    fay.sign_up()
    eve.open_direct(fay)
    eve.send("Hello Fay")
    fay.page.get_by_role("link", name=re.compile(f"^{eve.username}")).click()
    expect(fay.messages().last).to_have_text("Hello Fay")

    # when: Fay blocks Eve from the conversation's header
    fay.page.once("dialog", lambda dialog: dialog.accept())
    fay.page.get_by_role("button", name="Block").click()
    expect(fay.page.get_by_role("status").filter(has_text="You blocked")).to_be_visible()
    # and it still says so after a reload, offering Unblock rather than Block again (it forgot)
    fay.page.reload()
    expect(fay.page.get_by_role("status").filter(has_text="You blocked")).to_be_visible()
    expect(fay.page.get_by_role("button", name="Unblock")).to_be_visible()
    expect(fay.page.get_by_role("button", name="Block", exact=True)).to_have_count(0)

    # then: Eve's next message is not delivered, and she is told so
    eve.send("Are you there?")
    expect(eve.page.get_by_role("alert").filter(has_text="Not sent")).to_contain_text("blocked")
    expect(fay.messages()).to_have_count(1)

    # and Fay unblocks her in Settings → Security, after which messages flow again
    open_security(fay)
    blocked = fay.page.get_by_role("list", name="Blocked people").get_by_role("listitem")
    expect(blocked).to_have_count(1)
    blocked.get_by_role("button", name="Unblock").click()
    expect(blocked).to_have_count(0)


def test_my_data_is_downloaded_as_a_zip_with_its_token_in_no_url(browser, live_server_url):
    gus = person(browser, live_server_url, "gus")
    gus.sign_up()
    open_security(gus)
    page = gus.page
    downloads, navigations = [], []
    page.on("request", lambda request: "/export/download/" in request.url and downloads.append(request))
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    page.get_by_role("button", name="Download my data").click()
    expect(page.get_by_role("status").filter(has_text="Your data is ready")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the ZIP").click()

    path = download.value.path()
    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read("profile.json"))["username"] == gus.username
        assert "messages.json" in archive.namelist()
    # the token went in the form's body: no URL the browser keeps (history, downloads list) carries it
    [posted] = downloads
    assert (posted.method, posted.url) == ("POST", f"{gus.base_url}/api/v1/users/me/export/download/")
    assert posted.post_data.startswith("token=")
    assert download.value.url == posted.url
    assert not [url for url in navigations if "token" in url]
    assert page.url == f"{gus.base_url}/settings/security"  # the app stayed, signed in
    # and it downloads again, with a token listed afresh
    with page.expect_download() as again:
        page.get_by_role("button", name="Download the ZIP").click()
    with zipfile.ZipFile(again.value.path()) as archive:
        assert "profile.json" in archive.namelist()
    assert len(downloads) == 2


def test_deleting_the_account_signs_out_and_the_password_stops_working(browser, live_server_url):
    hal = person(browser, live_server_url, "hal")
    hal.sign_up()
    open_security(hal)
    page = hal.page

    page.get_by_label("Your password").last.fill(PASSWORD)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete my account").click()

    signed_out(hal)
    expect(page.get_by_role("status")).to_have_text("Your account was deleted.")  # it said nothing
    expect(page.get_by_text("You were signed out")).to_have_count(0)  # it was Hal's own doing
    log_in(hal)
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password.")


def superuser_with_two_factor(server: LiveServer) -> tuple[str, str]:
    """An admin (username, authenticator secret) who has turned on two-factor authentication."""
    username = f"root{uuid.uuid4().hex[:6]}"
    server.manage(
        "shell",
        "-c",
        "from accounts.models import User; "
        f"User.objects.create_superuser(username='{username}', email='{username}@example.com', "
        f"password='{PASSWORD}')",
    )
    token = call(server.url, "POST", "auth/token/", {"username": username, "password": PASSWORD})["access"]
    secret = call(server.url, "POST", "two-factor/totp/", {}, token=token)["secret"]
    call(server.url, "POST", "two-factor/totp/confirm/", {"code": totp_code(secret)}, token=token)
    return username, secret


@contextmanager
def two_factor_required_of_staff(browser, server: LiveServer) -> Iterator[None]:
    """An admin turns on *Require two factor for staff* in the admin (the server reads it from its own cache),
    and off again after."""
    username, secret = superuser_with_two_factor(server)
    admin = browser.new_context().new_page()
    admin.goto(f"{server.url}/admin/login/")
    admin.get_by_label("Username").fill(username)
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_label("Two-factor code").fill(totp_code(secret, steps_ahead=1))
    admin.get_by_role("button", name="Log in").click()

    def require(on: bool) -> None:
        admin.goto(f"{server.url}/admin/accounts/accountpolicy/")
        admin.get_by_label("Require two factor for staff").set_checked(on)
        admin.get_by_role("button", name="Save", exact=True).click()
        expect(admin.get_by_text("Account policy was changed successfully.")).to_be_visible()

    require(True)
    try:
        yield
    finally:
        require(False)
        admin.context.close()


def test_staff_made_to_turn_on_two_factor_see_their_recovery_codes_before_going_on(browser, parley_server):
    # given the workspace requires two-factor authentication of staff, and Sam, staff, has not turned it on
    sam = person(browser, parley_server.url, "sam")
    parley_server.manage(
        "shell",
        "-c",
        "from accounts.models import User; "
        f"User.objects.create_user(username='{sam.username}', email='{sam.username}@example.com', "
        f"password='{PASSWORD}', is_staff=True)",
    )
    with two_factor_required_of_staff(browser, parley_server):
        log_in(sam)
        page = sam.page
        expect(page.get_by_role("alert")).to_contain_text("requires two-factor authentication for staff")

        # when he sets it up and turns it on
        page.get_by_role("button", name="Set up two-factor authentication").click()
        secret = page.get_by_test_id("totp-secret").inner_text()
        page.get_by_label("Code from your app").fill(totp_code(secret))
        page.get_by_role("button", name="Turn on", exact=True).click()

        # then his ten recovery codes are shown, with focus on them, and the app waits for him (it went on to
        # the conversations at once, the codes never seen)
        codes = page.get_by_role("region", name="Recovery codes")
        expect(codes.get_by_role("listitem")).to_have_count(10)
        expect(codes).to_be_focused()
        assert axe_violations(page) == []
        expect(page.get_by_role("navigation", name="Conversations")).to_have_count(0)
        # and once he says he has saved them, the app opens
        codes.get_by_role("button", name="I have saved them: continue").click()
        signed_in(sam)
        expect(codes).to_have_count(0)
