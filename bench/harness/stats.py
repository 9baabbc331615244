"""Small statistics over raw runs."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the nearest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, float] | None:
    """Median, min and max of the repetitions, or None if there are none."""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def steady_rate(times: Sequence[float], skip: float = 0.1) -> float | None:
    """Events per second between the first and last event, leaving out the first `skip`
    share of them (the workers' warm-up)."""
    ordered = sorted(times)
    start = int(len(ordered) * skip)
    window = ordered[start:]
    if len(window) < 2 or window[-1] <= window[0]:
        return None
    return (len(window) - 1) / (window[-1] - window[0])
