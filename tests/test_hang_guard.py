"""tests/hang_guard.py: a run whose failed test then hangs in its teardown, where pytest-timeout no longer
looks, ends with the stack of what hangs instead of waiting for CI's limit."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STUCK_TEARDOWN = textwrap.dedent(
    """
    import threading

    import pytest


    @pytest.fixture
    def never_torn_down():
        yield
        threading.Event().wait()  # a teardown waiting for something that never comes


    def test_fails_then_hangs(never_torn_down):
        assert False
    """
)


def test_a_failed_test_whose_teardown_hangs_ends_the_run_with_its_stack(tmp_path: Path) -> None:
    (tmp_path / "test_stuck.py").write_text(STUCK_TEARDOWN)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.hang_guard", "-o", "timeout=1", "test_stuck.py"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "PARLEY_HUNG_PHASE_SECONDS": "3"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert "Timeout (0:00:03)!" in run.stderr
    assert "in never_torn_down" in run.stderr  # the stack shows what hangs
