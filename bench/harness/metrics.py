"""The measurements as the report and the chart show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.harness.stats import summary


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    unit: str
    higher_is_better: bool
    digits: int = 0

    def format(self, value: float) -> str:
        return f"{value:,.{self.digits}f}"


def metrics(document: dict[str, Any]) -> list[Metric]:
    small, large = _backlogs(document)
    return [
        Metric("enqueue", "Single enqueue", "jobs/s", True),
        Metric("bulk_enqueue", "Bulk enqueue", "jobs/s", True),
        Metric("drain", "Drain", "jobs/s", True),
        Metric("latency_p50", "Idle latency p50", "ms", False, 1),
        Metric("latency_p99", "Idle latency p99", "ms", False, 1),
        Metric("memory_pss", "Idle worker memory (PSS)", "MiB", False, 1),
        Metric("memory_rss", "Idle worker memory (RSS)", "MiB", False, 1),
        Metric(f"backlog_{small}", f"Claim rate, {small:,} queued", "jobs/s", True),
        Metric(f"backlog_{large}", f"Claim rate, {large:,} queued", "jobs/s", True),
        Metric("backlog_ratio", f"Claim rate {large:,} / {small:,} queued", "x", True, 2),
    ]


def _backlogs(document: dict[str, Any]) -> tuple[int, int]:
    sizes = document["plan"]["backlogs"]
    return int(sizes[0]), int(sizes[-1])


def measured(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in document["systems"].items() if v["status"] == "measured"}


def summaries(document: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """system -> metric -> {median, min, max}; the backlog ratio is a ratio of medians."""
    small, large = _backlogs(document)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for system, entry in measured(document).items():
        row = {
            key: stats
            for key, values in entry["runs"].items()
            if (stats := summary(values)) is not None
        }
        low, high = row.get(f"backlog_{small}"), row.get(f"backlog_{large}")
        if low and high and low["median"] > 0:
            ratio = high["median"] / low["median"]
            row["backlog_ratio"] = {
                "median": ratio,
                "min": high["min"] / low["max"],
                "max": high["max"] / low["min"],
            }
        table[system] = row
    return table


def best_peer(
    table: dict[str, dict[str, dict[str, float]]], metric: Metric
) -> tuple[str, float] | None:
    """The best peer (cargohold excluded) on this metric, by median."""
    candidates = [
        (system, row[metric.key]["median"])
        for system, row in table.items()
        if not system.startswith("cargohold") and metric.key in row
    ]
    if not candidates:
        return None
    pick = max if metric.higher_is_better else min
    return pick(candidates, key=lambda item: item[1])
