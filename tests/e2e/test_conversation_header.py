"""A conversation's header reads as one column: the title, and under it, flush with it, what it is (a group's
member count, a direct conversation's presence), in the same line box whichever it is."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.api import log_in, register

pytestmark = pytest.mark.e2e


def box(page: Page, test_id: str) -> dict[str, float]:
    """Where the subtitle's first mark on screen (the presence's dot, the member count's words) starts, and
    its line box's height, in CSS px."""
    return page.get_by_test_id(test_id).evaluate(
        """line => {
          const dot = line.querySelector(".dot"); // a direct conversation's presence
          const words = document.createRange(); // else the member count's words (not its button's box)
          words.selectNodeContents(line.querySelector(".members-button") ?? line);
          const left = (dot ?? words).getBoundingClientRect().left;
          return { left, height: line.getBoundingClientRect().height };
        }"""
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_the_member_count_is_flush_with_the_title_as_a_presence_is(browser, live_server_url, width):
    # given a group and a direct conversation of Ada's
    ada = register(live_server_url, "ada")
    grace = register(live_server_url, "grace")
    group = ada.conversation("group", members=[grace], title="Launch team")
    direct = ada.conversation("direct", members=[grace])
    page = browser.new_page(viewport={"width": width, "height": 800})
    log_in(page, ada)

    lines = {}
    for conversation, subtitle in ((group, "2 members"), (direct, "Offline")):
        # when she opens each
        page.goto(f"{live_server_url}/c/{conversation}")
        expect(page.get_by_test_id("conversation-subtitle")).to_have_text(subtitle)
        title = page.locator("#conversation-title").bounding_box()
        assert title is not None
        lines[subtitle] = box(page, "conversation-subtitle"), title

    # then each subtitle starts where its title does (the count's words were 3 px to the right, inside its
    # button's side padding), in the same line box in both
    for subtitle, (line, title) in lines.items():
        assert line["left"] == pytest.approx(title["x"], abs=0.5), subtitle
    assert lines["2 members"][0]["height"] == pytest.approx(lines["Offline"][0]["height"], abs=0.1)
    page.close()
