"""The embedded mode has no Celery beat: docs/operations.md gives the line cron runs instead, and it runs
every periodic task beat would."""

import importlib
import re
from pathlib import Path

OPERATIONS_DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def documented_cron_code() -> str:
    found = re.search(r"manage\.py shell -v0 -c '([^']+)'", OPERATIONS_DOC.read_text())
    assert found, "docs/operations.md no longer shows the periodic tasks' cron line"
    return found.group(1)


def test_the_documented_cron_line_runs_every_periodic_task(settings, monkeypatch):
    # given: each scheduled task replaced by a recorder, under its own dotted name
    ran = []
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        module_name, _, function = entry["task"].rpartition(".")
        monkeypatch.setattr(
            importlib.import_module(module_name), function, lambda name=entry["task"]: ran.append(name)
        )

    # when: the shell runs the documented code
    exec(documented_cron_code(), {})  # noqa: S102  (our own documentation's line, as `manage.py shell -c` runs it)

    # then
    assert sorted(ran) == sorted(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())
