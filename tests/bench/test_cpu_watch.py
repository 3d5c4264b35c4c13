"""The bench's CPU accounting per component (bench/servers.py CpuWatch), on real processes: what a component
spent between start and stop, including a process that exited in between (a PostgreSQL backend whose
connection Celery recycled mid-step)."""

import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest

from bench.servers import CpuWatch, Server

BURN_SECONDS = 0.5
# The child waits for "go", spends BURN_SECONDS of CPU, and exits.
CHILD = f"""
import sys, time
sys.stdin.readline()
end = time.process_time() + {BURN_SECONDS}
while time.process_time() < end:
    pass
"""
# The parent starts the child, lets it go when told, reaps it, and waits to be told to end.
PARENT = f"""
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", {CHILD!r}], stdin=subprocess.PIPE)
print("child started", flush=True)
sys.stdin.readline()
child.communicate(b"go\\n")
print("child reaped", flush=True)
sys.stdin.readline()
"""


class ParentAndChildren(Server):
    """One component: a parent process and the children it has at each listing, as PostgreSQL's postmaster
    and its backends."""

    def __init__(self, parent: psutil.Process) -> None:
        self.parent = parent

    def components(self) -> dict[str, list[psutil.Process]]:
        return {"component": [self.parent, *self.parent.children()]}


@pytest.fixture
def parent() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stdout.readline() == "child started\n"
    yield process
    process.stdin.close()
    process.wait(10)


def test_a_process_that_exits_between_start_and_stop_still_counts(parent: subprocess.Popen[str]) -> None:
    # given a watch started while the component's child runs
    component = ParentAndChildren(psutil.Process(parent.pid))
    assert len(component.components()["component"]) == 2
    watch = CpuWatch(component)
    watch.start()

    # when the child spends its CPU and exits before the watch stops
    assert parent.stdin is not None
    assert parent.stdout is not None
    parent.stdin.write("go\n")
    parent.stdin.flush()
    assert parent.stdout.readline() == "child reaped\n"
    spent = watch.stop()

    # then its CPU is in the component's (the parent's own is a few milliseconds)
    assert len(component.components()["component"]) == 1
    assert spent["component"] >= 0.9 * BURN_SECONDS
