"""The web app runs under its Content-Security-Policy (issue #21, 8) without a single violation — the
conftest fails any end-to-end test on one — and the policy does stop an injected inline script."""

import pytest

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
