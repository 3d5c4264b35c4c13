"""A backstop for a test that hangs where pytest-timeout no longer looks.

Once a test has failed, pytest-timeout stops timing the rest of it (its `pytest_exception_interact` hook
cancels the timer, as pytest's own faulthandler_timeout does), so a teardown that then hangs — a task on the
session's event loop that never finishes, which the last test's teardown waits for — stalled the whole run
until CI's limit, printing nothing. Each phase of a test (set-up, call, teardown) here gets
HUNG_PHASE_SECONDS; past it every thread's stack is printed and the run exits with status 1.

A plugin (tests/conftest.py loads it; `-p tests.hang_guard` elsewhere)."""

import faulthandler
import os
from collections.abc import Iterator

import pytest

# Twice pytest-timeout's limit: it fires first whenever it is still watching. The variable is for the guard's
# own test, which cannot wait ten minutes.
HUNG_PHASE_SECONDS = float(os.environ.get("PARLEY_HUNG_PHASE_SECONDS", 600))


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(HangGuard(), "hang_guard")


class HangGuard:
    def __init__(self) -> None:
        # Made while pytest's output capture is suspended (pytest_configure): the terminal's stderr, not a
        # capture file that the exit would discard.
        self._stderr = os.dup(2)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._guarded())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._guarded())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._guarded())

    def _guarded(self) -> Iterator[None]:
        faulthandler.dump_traceback_later(HUNG_PHASE_SECONDS, exit=True, file=self._stderr)
        try:
            return (yield)
        finally:
            faulthandler.cancel_dump_traceback_later()
