"""django-prometheus's database backends (queries, errors and connections counted for /metrics), with the
counting cursor class made once per database rather than on every connect.

django-prometheus builds that class, a closure over the alias, anew in each PostgreSQL connect (which, under
a web worker's pool, is every checkout: each socket's connect took four) and in each SQLite cursor. A class
is ~3 KiB of objects in reference cycles that only the garbage collector frees (connect storms left
megabytes of them behind: docs/benchmarks.md, "Idle socket memory") and ~40 us of CPU to make."""

import functools

from django_prometheus.db.common import ExportingCursorWrapper

counting_cursor_class = functools.cache(ExportingCursorWrapper)
