"""The web app runs under its Content-Security-Policy (issue #21, 8) without a single violation — the
conftest fails any end-to-end test on one — and the policy does stop an injected inline script."""

import pytest
from playwright.sync_api import expect

from tests.e2e.api import register
from tests.e2e.test_moderation_deleted_message_files import upload
from tests.files import samples

pytestmark = pytest.mark.e2e


def test_the_app_shell_runs_under_its_policy_and_inline_script_is_refused(browser, live_server_url):
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(f"{live_server_url}/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    page.get_by_role("heading", name="Log in").wait_for()  # the app itself ran: it is all 'self'
    assert browser.csp_violations == []

    # an inline script, as an injection would add one, does not run, and the watch hears of it
    page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.__injected = 1';
        document.body.appendChild(s); }"""
    )
    assert page.evaluate("window.__injected") is None
    page.wait_for_function("() => window.__cspViolations.length > 0")
    for _ in range(50):  # the console message follows the event through the browser's protocol
        if browser.csp_violations:
            break
        page.evaluate("() => null")
    assert any("script-src" in text for text in browser.csp_violations), browser.csp_violations
    browser.csp_violations.clear()  # expected here; any other test fails on one
    context.close()


def test_a_picture_opened_in_a_tab_of_its_own_shows_without_a_console_error(browser, live_server_url):
    # given ada's picture, opened on its own, as a tab opens its address (with her credentials)
    ada = register(live_server_url, "ada")
    picture = upload(ada, "chart.png", samples.png())
    context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {ada.token}"})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    # when
    response = page.goto(f"{live_server_url}/api/v1/files/{picture}/download/")

    # then it shows, full size, and nothing is refused: Chromium's own page around it is styled inline, which
    # the files' policy refused (three violations on the console) before it allowed inline style
    assert response is not None
    assert response.status == 200
    shown = page.locator("img")
    expect(shown).to_have_count(1)
    page.wait_for_function("() => document.images[0].complete")
    assert shown.evaluate("image => image.naturalWidth") == 640
    page.evaluate("() => null")  # a round trip, so any console message on its way has arrived
    assert errors == []
    assert browser.csp_violations == []
    context.close()


RAN = 'document.documentElement.setAttribute("data-ran", "yes")'
MARKUP = {
    "page.html": ("text/html", f"<!doctype html><html><body><script>{RAN}</script></body></html>"),
    "logo.svg": ("image/svg+xml", f'<svg xmlns="http://www.w3.org/2000/svg"><script>{RAN}</script></svg>'),
}


@pytest.mark.parametrize("name", MARKUP)
def test_markup_runs_no_script_even_if_a_browser_rendered_it(browser, live_server_url, name):
    # given an HTML page or an SVG with a script, uploaded; Parley serves it as a download, but a browser that
    # rendered it anyway shows its bytes under the very policy Parley sends with them
    shown_as, markup = MARKUP[name]
    ada = register(live_server_url, "ada")
    file_id = upload(ada, name, markup.encode(), "text/plain")
    context = browser.new_context()
    page = context.new_page()
    served = page.request.get(
        f"{live_server_url}/api/v1/files/{file_id}/download/",
        headers={"Authorization": f"Bearer {ada.token}"},
    )
    assert served.headers["content-disposition"].startswith("attachment")

    def rendered(path: str, headers: dict[str, str]) -> str | None:
        page.route(
            f"{live_server_url}{path}",
            lambda route: route.fulfill(
                status=200, headers=headers, content_type=shown_as, body=served.body()
            ),
        )
        page.goto(f"{live_server_url}{path}")
        return page.locator(":root").get_attribute("data-ran")

    # when it is opened without the policy, its script runs (the check sees a script that ran) ...
    assert rendered("/unprotected", {}) == "yes"
    # ... and under Parley's, it does not
    assert (
        rendered(
            "/as-parley-serves-it", {"Content-Security-Policy": served.headers["content-security-policy"]}
        )
        is None
    )
    browser.csp_violations.clear()  # a refused script, if reported, is the point here
    context.close()
