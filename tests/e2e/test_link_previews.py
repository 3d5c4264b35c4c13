"""A link in a message unfurls into a preview card — title, description, image — live for the people
reading, with the image served by Parley: the browser never contacts the linked site."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.api import log_in, register
from tests.e2e.axe import axe_violations
from tests.e2e.test_chat_flow import shot
from tests.previews.sites import Site, page, png, start_site

pytestmark = pytest.mark.e2e


@pytest.fixture
def site() -> Iterator[Site]:
    """The linked site, on 127.0.0.1: the live server allow-lists that host for tests (conftest.py)."""
    running = start_site()
    yield running
    running.stop()


def test_a_link_unfurls_into_an_accessible_preview_card(browser, live_server_url, site: Site):
    site.serve("/lighthouse.png", png(800, 400), "image/png")
    url = site.serve(
        "/post",
        page("The lighthouse keeper", "A short story about light and patience.", image="/lighthouse.png"),
    )
    ada = register(live_server_url, "ada", "Ada Lovelace")
    grace = register(live_server_url, "grace", "Grace Hopper")
    group = ada.conversation("group", members=[grace], title="Reading club")
    # given Grace is reading the conversation
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    reader = context.new_page()
    requested: list[str] = []
    reader.on("request", lambda request: requested.append(request.url))
    log_in(reader, grace)
    reader.goto(f"{live_server_url}/c/{group}")
    expect(reader.get_by_role("heading", name="Reading club")).to_be_visible()
    # when Ada shares a link
    ada.say(group, f"This one is lovely: {url}")
    # then its preview appears under the message, live
    card = reader.get_by_test_id("link-preview")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("href", url)
    expect(card).to_contain_text("The lighthouse keeper")
    expect(card).to_contain_text("A short story about light and patience.")
    image = card.locator("img")
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 320  # Parley's thumbnail, not the 800 px original
    # the page and its image were fetched once, by Parley; the browser never asked the site for anything
    assert site.hits == {"/post": 1, "/lighthouse.png": 1}
    assert not [r for r in requested if r.startswith(site.origin)]
    # and the card is accessible: a link named by its text, the image decorative
    assert axe_violations(reader) == []
    reader.emulate_media(color_scheme="dark")
    assert axe_violations(reader) == []
    shot(reader, "link-preview")
    context.close()
