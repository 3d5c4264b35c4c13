"""A run's summary: medians over its repeats, and Parley's ratios to Socket.IO and to the baseline.

Apart from bench/run.py (which needs the bench's own packages, requirements/bench.txt), so that the report and
its tests read a results JSON with the test requirements alone.
"""

from __future__ import annotations

from statistics import median
from typing import Any


def _med(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(median(present), 2) if present else None


RATIO_KEYS = ("max_delivered_per_s", "fixed_p50_ms", "fixed_p99_ms", "idle_kib_per_connection")


def _top_step(ramp: dict[str, Any]) -> dict[str, Any] | None:
    return max((s for s in ramp["steps"] if s["pass"]), key=lambda s: s["rate"], default=None)


def _cpu_medians(runs: list[dict[str, Any] | None]) -> dict[str, float | None]:
    present = [r["cpu_us_per_delivery"] for r in runs if r is not None]
    names = sorted({name for r in present for name in r})
    return {name: _med([r.get(name) for r in present]) for name in names}


def _slow_summary(slow: dict[str, Any]) -> dict[str, Any]:
    fixed, ramp = slow["fixed"], slow["ramp"]
    return {
        "fixed_p50_ms": fixed["latency_ms"]["p50"],
        "fixed_p99_ms": fixed["latency_ms"]["p99"],
        "fixed_lost": fixed["lost"],
        "fixed_late": fixed["late"],
        "max_delivered_per_s": ramp["max_sustained_delivered_per_s"],
    }


def summarise(runs: dict[str, Any]) -> dict[str, Any]:
    """Medians over repeats; Parley / Socket.IO and Parley / baseline ratios."""
    summary: dict[str, Any] = {}
    for w, by_server in runs.items():
        row: dict[str, Any] = {}
        for name, data in by_server.items():
            fixed, ramps = data.get("fixed", []), data.get("ramp", [])
            top_steps = [_top_step(r) for r in ramps]
            row[name] = {
                "max_delivered_per_s": _med([r["max_sustained_delivered_per_s"] for r in ramps]),
                "max_delivered_each_repeat": [r["max_sustained_delivered_per_s"] for r in ramps],
                "fixed_p50_ms": _med([f["latency_ms"]["p50"] for f in fixed]),
                "fixed_p99_ms": _med([f["latency_ms"]["p99"] for f in fixed]),
                "fixed_ack_p99_ms": _med([f["ack_ms"]["p99"] for f in fixed]),
                "fixed_lost": sum(f["lost"] for f in fixed),
                "fixed_duplicates": sum(f["duplicates"] for f in fixed),
                "cpu_us_per_delivery_fixed": _cpu_medians(fixed),
                "cpu_us_per_delivery_at_top": _cpu_medians(top_steps),
                "idle_kib_per_connection": data.get("idle", {}).get("kib_per_connection"),
                "persistence_lag_p99_ms_fixed": _med(
                    [f.get("persistence", {}).get("lag_ms", {}).get("p99") for f in fixed]
                ),
                "persistence_lag_p99_ms_at_top": _med(
                    [(s or {}).get("persistence", {}).get("lag_ms", {}).get("p99") for s in top_steps]
                ),
                "generator_limited_at_top": any(r["generator_limited_at_top"] for r in ramps),
                "slow_readers": _slow_summary(data["slow"]) if "slow" in data else None,
            }
        for reference in ("socketio", "socketio-durable", "baseline"):
            if reference in row and "parley" in row:
                ref, p = row[reference], row["parley"]
                row[f"ratio_to_{reference}"] = {
                    key: round(p[key] / ref[key], 3) if p[key] and ref[key] else None for key in RATIO_KEYS
                }
        summary[w] = row
    return summary
