"""Garbage-collector settings for the long-running server processes: web workers and Celery's pool.

With CPython's defaults, a Daphne worker holding 500 sockets (~120,000 tracked objects) ran a full collection
every 2-3 s at a few hundred sends/s, each stopping its event loop for 80-300 ms; every frame in flight
waited, and the benchmark's ramp ended on those pauses rather than on CPU (docs/benchmarks.md)."""

import gc

# CPython collects the youngest generation every 700 net allocations. Per-message objects live for tens of
# milliseconds (a send waits for its broker confirm), so at that pace many are still alive at a collection,
# get promoted, and soon trigger a full one. 50,000 lets them die by reference count first; a young
# collection then takes ~15-25 ms, less often.
THRESHOLDS = (50_000, 20, 10)


def tune_garbage_collector() -> None:
    """Freeze what start-up made (modules, settings, URL patterns: never garbage, so never worth scanning
    again), then collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
