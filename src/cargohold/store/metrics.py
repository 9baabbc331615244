"""Job metrics for every store: the histogram bounds, and the histograms built from the rows
each store's SQL counts (one row per label and bucket reached: its bound, count and sum)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from cargohold.records import Histogram
from cargohold.store.rowmaps import Row

BOUNDS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
"""Upper bounds of the duration and wait buckets, in seconds (then +Inf)."""
COUNTED_EVENTS = ("retrying", "memory_killed")


def bound_params() -> dict[str, float]:
    """BOUNDS as the statements' parameters b0, b1, ... (their SQL names each one)."""
    return {f"b{n}": bound for n, bound in enumerate(BOUNDS)}


def histograms(rows: Iterable[Row]) -> dict[str, Histogram]:
    """Rows of (label, le, n, total), `le` NULL above the last bound, into histograms."""
    counts: dict[str, dict[float, int]] = defaultdict(dict)
    sums: dict[str, float] = defaultdict(float)
    for row in rows:
        le = math.inf if row["le"] is None else float(row["le"])
        counts[row["label"]][le] = int(row["n"])
        sums[row["label"]] += float(row["total"] or 0.0)
    found = {}
    for label, by_bound in counts.items():
        buckets, running = [], 0
        for bound in (*BOUNDS, math.inf):
            running += by_bound.get(bound, 0)
            buckets.append((bound, running))
        found[label] = Histogram(tuple(buckets), running, sums[label])
    return found


def event_counts(rows: Iterable[Row], kind: str) -> dict[str, int]:
    """Rows of (task, kind, n): the counts of one kind, by task."""
    return {row["task"]: int(row["n"]) for row in rows if row["kind"] == kind}
