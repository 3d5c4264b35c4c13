"""The installable app: Chromium's installability check, the app opening offline after a first visit, and
web push shown by the service worker.

These use a persistent browser profile: Chromium never offers to install from an incognito one, which is
what an ordinary Playwright context is."""

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from tests.e2e.api import log_in, register
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e


@pytest.fixture
def profile(tmp_path) -> Iterator[BrowserContext]:
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        yield context
        context.close()


def controlled(page: Page) -> None:
    """Wait until the service worker has installed (the shell is cached) and controls the page."""
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null"
    )  # a function: CSP refuses eval


def test_chromium_finds_the_app_installable(profile, live_server_url):
    page = profile.new_page()
    page.goto(f"{live_server_url}/login")
    controlled(page)
    cdp = profile.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    icons = json.loads(manifest["data"])["icons"]
    assert {(icon["sizes"], icon.get("purpose", "any")) for icon in icons} >= {
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    }
    for icon in icons:  # every icon is served
        assert page.request.get(f"{live_server_url}/static/frontend/{icon['src']}").ok


def test_the_app_opens_offline_after_a_first_visit(profile, live_server_url):
    # given Ada, who has used Parley in this browser once
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace")
    ada.conversation("group", members=[grace], title="Offline club")
    page = profile.new_page()
    log_in(page, ada)
    expect(page.get_by_role("link", name="Offline club")).to_be_visible()
    controlled(page)

    # when the network is gone and she opens the app again
    profile.set_offline(True)
    page.reload()

    # then the app's shell opens, signed in as her, and says it is not connected
    expect(page.get_by_role("navigation", name="Conversations")).to_be_visible()
    expect(page.get_by_role("link", name="Settings for Ada Lovelace")).to_be_visible()
    expect(page.get_by_test_id("connection-banner")).to_be_visible()

    # and once the network is back it connects and loads her conversations, without a reload
    profile.set_offline(False)
    expect(page.get_by_role("link", name="Offline club")).to_be_visible()
    expect(page.get_by_test_id("connection-banner")).to_have_count(0)


def test_the_service_worker_shows_a_push(profile, live_server_url):
    # given a page controlled by the service worker, with notifications allowed
    profile.grant_permissions(["notifications"], origin=live_server_url)
    page = profile.new_page()
    page.goto(f"{live_server_url}/login")
    controlled(page)
    cdp = profile.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"])
    )
    cdp.send("ServiceWorker.enable")
    mine = [r for r in registrations if r["scopeURL"] == f"{live_server_url}/"]
    for _ in range(200):  # the event comes soon after: let Playwright deliver it (at most ~4 s)
        if mine:
            break
        page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 20))")
        mine = [r for r in registrations if r["scopeURL"] == f"{live_server_url}/"]
    registration = mine[0]

    # when a push arrives, as docs/notifications.md describes its payload
    payload = {
        "title": "Ada in Launch team",
        "body": "We ship today",
        "url": "/conversations/7",
        "tag": "c-7",
        "seq": 12,
    }
    push = {
        "origin": live_server_url,
        "registrationId": registration["registrationId"],
        "data": json.dumps(payload),
    }
    # (nothing tells a page that a notification was shown: ask for 3 s; headless Chromium now and then
    # loses a push delivered through DevTools, so deliver it again, at most three times — the tag makes
    # repeats one notification)
    for _ in range(3):
        cdp.send("ServiceWorker.deliverPushMessage", push)
        shown = page.evaluate(SHOWN_WITHIN_3_S)
        if shown:
            break

    # then the worker shows it, with the conversation to open on a click, at the message
    assert shown == [
        {
            "title": "Ada in Launch team",
            "body": "We ship today",
            "tag": "c-7",
            "url": f"{live_server_url}/conversations/7?m=12",
        }
    ]


SHOWN_WITHIN_3_S = """async () => {
  const registration = await navigator.serviceWorker.ready;
  for (const deadline = Date.now() + 3_000; Date.now() < deadline; ) {
    const shown = await registration.getNotifications();
    const found = shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data.url }));
    if (found.length) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [];
}"""
