"""End-to-end tests: real Chromium (Debian's package) driving the built web app against a live Daphne.

The server runs in embedded mode (SQLite, in-process fan-out hub, eager Celery, files on disk) in a
fresh data folder, on a free port, so these tests share nothing with other runs or with the test
database. They need the web build (`make web`) and /usr/bin/chromium (`apt-get install chromium`).
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import ROOT, embedded_env, free_port, manage, wait_until_up
from tests.mail import SmtpServer

CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class LiveServer:
    """The running server (named parley_server: pytest-django owns the name live_server)."""

    url: str
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        """Run manage.py against the live server's data (its database is the server's)."""
        return manage(self.env, *args)


@pytest.fixture(scope="session")
def mail_server() -> Iterator[SmtpServer]:
    """The SMTP server the live server sends its emails to; tests read links off it."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server_url(parley_server: LiveServer) -> str:
    return parley_server.url


@pytest.fixture(scope="session")
def parley_server(tmp_path_factory: pytest.TempPathFactory, mail_server: SmtpServer) -> Iterator[LiveServer]:
    if not (ROOT / "frontend" / "static" / "frontend" / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web` first.")
    data_dir = tmp_path_factory.mktemp("parley-e2e")
    port = free_port()
    env = embedded_env(
        data_dir,
        REFRESH_COOKIE_SECURE="false",
        THROTTLE_AUTH_IP="1000/min",
        THROTTLE_AUTH_USERNAME="1000/min",
        EMAIL_URL=mail_server.url,
        PREVIEW_ALLOWED_TEST_HOSTS="127.0.0.1",  # the link preview test's own site (test_link_previews.py)
    )
    manage(env, "collectstatic", "--noinput", "-v0")
    log = (data_dir / "daphne.log").open("wb")
    daphne = Path(sys.executable).with_name("daphne")
    process = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "chatproject.asgi:application"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", process)
        yield LiveServer(url, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# Every page reports what its Content-Security-Policy refused, as Chromium also logs it on the console.
REPORT_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective);
  console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


class CspWatchedBrowser:
    """The browser, whose every context records Content-Security-Policy violations in `csp_violations`."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.csp_violations: list[str] = []

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", self._console)
        return context

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield CspWatchedBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Any end-to-end test fails on a Content-Security-Policy violation in any of its pages."""
    if "browser" not in request.fixturenames:
        yield
        return
    watched: CspWatchedBrowser = request.getfixturevalue("browser")
    watched.csp_violations.clear()
    yield
    assert watched.csp_violations == [], "the Content-Security-Policy refused something the app does"
