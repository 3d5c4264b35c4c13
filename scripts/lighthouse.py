"""`make lighthouse`: Lighthouse (tools/lighthouse, pinned) in Debian's Chromium against Parley as `make run`
serves it, on the login, home and conversation screens, with its default mobile preset. It starts an
embedded server on a free port over a fresh data folder with `seed_demo`'s people and conversations, signs in
as one of them, and writes the scores into docs/web.md between the lighthouse markers.

Not part of `make test`: a run takes a minute or two and its performance score moves with the machine's load.
"""

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.live_server import ROOT, embedded_env, free_port, manage, wait_until_up

RUNNER = ROOT / "tools" / "lighthouse" / "run.mjs"
DOC = ROOT / "docs" / "web.md"
START, END = "<!-- lighthouse:start -->", "<!-- lighthouse:end -->"
DEMO_USER, DEMO_PASSWORD = "ada", "parley-demo-2026"  # messaging/management/commands/seed_demo.py
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]


def conversation_path(base_url: str) -> str:
    """The demo group with messages in it: sign in through the API and find it."""
    from tests.e2e.api import call

    login = {"username": DEMO_USER, "password": DEMO_PASSWORD}
    token = call(base_url, "POST", "auth/token/", login)["access"]
    conversations = call(base_url, "GET", "conversations/", token=token)["results"]
    return f"/c/{next(c['id'] for c in conversations if c['title'] == 'Engine room')}"


def audit(base_url: str) -> dict:
    result = subprocess.run(
        ["node", str(RUNNER), base_url, DEMO_USER, DEMO_PASSWORD, conversation_path(base_url)],
        cwd=RUNNER.parent,
        check=True,
        stdout=subprocess.PIPE,  # the results; Lighthouse's and Chromium's complaints go to the terminal
        text=True,
        env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
    )
    return json.loads(result.stdout)


def table(results: dict) -> str:
    first = next(iter(results.values()))
    lines = [
        f"Measured {datetime.now(tz=UTC):%Y-%m-%d} by `make lighthouse`: Lighthouse {first['lighthouse']}, "
        "mobile preset (simulated slow 4G, 4x CPU slowdown), each screen a cold load, the median of "
        f"{len(first['runs'])} runs, in `{first['userAgent']}` on this project's 2-core machine.",
        "",
        "| screen | performance (each run) | accessibility | best practices | SEO | FCP | LCP | TBT | CLS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for screen, r in results.items():
        performance = f"{r['scores']['performance']} ({', '.join(map(str, r['runs']))})"
        scores = " | ".join([performance, *(str(r["scores"][c]) for c in CATEGORIES[1:])])
        m = r["metrics"]
        lines.append(
            f"| {screen} | {scores} | {m['first-contentful-paint']} | {m['largest-contentful-paint']} "
            f"| {m['total-blocking-time']} | {m['cumulative-layout-shift']} |"
        )
    failing = {screen: r["failing"] for screen, r in results.items() if r["failing"]}
    if failing:
        below = "; ".join(f"{screen}: {', '.join(audits)}" for screen, audits in failing.items())
        lines += ["", f"Audits below full marks: {below}"]
    return "\n".join(lines)


def record(results: dict) -> None:
    text = DOC.read_text()
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    DOC.write_text(f"{before}{START}\n{table(results)}\n{END}{after}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="parley-lighthouse-") as data_dir:
        env = embedded_env(Path(data_dir))
        manage(env, "collectstatic", "--noinput", "-v0")
        manage(env, "seed_demo")
        port = free_port()
        daphne = Path(sys.executable).with_name("daphne")
        server = subprocess.Popen(
            [str(daphne), "-b", "127.0.0.1", "-p", str(port), "chatproject.asgi:application"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base_url}/healthz", server)
            results = audit(base_url)
        finally:
            server.terminate()
            server.wait(timeout=10)
    record(results)
    print(table(results))


if __name__ == "__main__":
    main()
