"""Running Parley as a real server process in a test: a free port, the embedded-mode environment (no
services inherited from the test settings), and waiting until it answers."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Variables the test settings export for pytest itself: a live server must not inherit them.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "S3_BUCKET", "S3_ENDPOINT_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def embedded_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The embedded mode's environment over a fresh, migrated data folder, with `settings` on top."""
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="chatproject.settings.base",
        PARLEY_DATA_DIR=str(data_dir),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        **settings,
    )
    manage(env, "migrate", "--noinput", "-v0")
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Run manage.py in `env`; its standard output."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the live server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a loopback URL we made)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the live server did not answer {url} within {timeout} s")
