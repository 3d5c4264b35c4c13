"""The connection banner: what it shows while the socket is lost, and what a screen reader hears of it."""

import re

import pytest
from playwright.sync_api import WebSocketRoute, expect

from tests.e2e.api import log_in, register

pytestmark = pytest.mark.e2e

# Every text a live region of the page takes, in order, as a screen reader would be given it.
RECORD_ANNOUNCEMENTS = """
window.__announced = [];
const last = new WeakMap();
new MutationObserver(() => {
  for (const region of document.querySelectorAll("[aria-live], [role=status], [role=alert], [role=log]")) {
    const text = region.textContent.trim();
    if (last.get(region) === text) continue;
    last.set(region, text);
    if (text) window.__announced.push(text);
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def refuse_every_socket(ws: WebSocketRoute) -> None:
    """The server end: each socket is closed at once (a server that keeps dropping it)."""
    ws.close(code=1011, reason="going down")


def test_a_lost_connection_is_announced_once_while_its_countdown_ticks(browser, live_server_url):
    # given Ada's page, whose socket the server keeps closing, and what its live regions say
    ada = register(live_server_url, "ada", "Ada")
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.add_init_script(RECORD_ANNOUNCEMENTS)
    page = context.new_page()
    page.route_web_socket(re.compile(r"/ws/"), refuse_every_socket)
    log_in(page, ada)

    # when the banner counts down to a retry for a few seconds (the backoff grows: 2 s and more by the 4th)
    banner = page.get_by_test_id("connection-banner")
    expect(banner).to_contain_text(re.compile(r"Connection lost\. Reconnecting in [3-9] s"), timeout=20_000)
    counting = re.search(r"in (\d) s", banner.inner_text())
    assert counting is not None
    expect(banner).to_contain_text(f"Reconnecting in {int(counting[1]) - 1} s")

    # then a screen reader heard the state once, not each second of the countdown nor each retry
    announced = page.evaluate("window.__announced")
    assert [text for text in announced if "onnect" in text] == ["Connection lost; reconnecting."]
    context.close()
