"""Issue 7's goals, checked against the medians of this run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Table = dict[str, dict[str, dict[str, float]]]
TWO_PROCESS_PEERS = ("huey-sqlite", "huey-redis", "huey-pg", "rq", "dramatiq-redis", "celery-redis")


def _median(table: Table, system: str, key: str) -> float | None:
    stats = table.get(system, {}).get(key)
    return None if stats is None else stats["median"]


def _ratio(system: str, key: str, peer: str, goal: float) -> Callable[[Table], Any]:
    def check(table: Table) -> tuple[str, bool] | None:
        ours, theirs = _median(table, system, key), _median(table, peer, key)
        if ours is None or theirs is None or theirs == 0:
            return None
        return f"{ours / theirs:.2f} x ({ours:,.0f} vs {theirs:,.0f})", ours / theirs >= goal

    return check


def _at_most(system: str, key: str, limit: float, unit: str) -> Callable[[Table], Any]:
    def check(table: Table) -> tuple[str, bool] | None:
        value = _median(table, system, key)
        return None if value is None else (f"{value:.1f} {unit}", value <= limit)

    return check


def _memory(table: Table) -> tuple[str, bool] | None:
    ours = _median(table, "cargohold-sqlite", "memory_pss")
    if ours is None:
        return None
    two_process = [
        value
        for system in TWO_PROCESS_PEERS
        if (value := _median(table, system, "memory_pss")) is not None
    ]
    if not two_process:
        return f"{ours:.1f} MiB (no two-process peer measured)", ours <= 45
    lowest = min(two_process)
    text = f"{ours:.1f} MiB (lowest two-process peer: {lowest:.1f} MiB)"
    return text, ours <= 45 and ours < lowest


def _backlog(system: str) -> Callable[[Table], Any]:
    def check(table: Table) -> tuple[str, bool] | None:
        ratio = _median(table, system, "backlog_ratio")
        return None if ratio is None else (f"{ratio:.2f}", ratio >= 0.8)

    return check


GOALS: list[tuple[str, Callable[[Table], Any]]] = [
    ("SQLite drain ≥ 3 x huey-sqlite", _ratio("cargohold-sqlite", "drain", "huey-sqlite", 3)),
    ("PostgreSQL drain ≥ 1.5 x pgqueuer", _ratio("cargohold-postgres", "drain", "pgqueuer", 1.5)),
    (
        "PostgreSQL single enqueue ≥ 1.1 x pgqueuer",
        _ratio("cargohold-postgres", "enqueue", "pgqueuer", 1.1),
    ),
    (
        "PostgreSQL bulk enqueue ≥ 1.2 x pgqueuer",
        _ratio("cargohold-postgres", "bulk_enqueue", "pgqueuer", 1.2),
    ),
    ("SQLite idle latency p50 ≤ 3 ms", _at_most("cargohold-sqlite", "latency_p50", 3, "ms")),
    ("SQLite idle latency p99 ≤ 10 ms", _at_most("cargohold-sqlite", "latency_p99", 10, "ms")),
    (
        "PostgreSQL idle latency p50 ≤ 2 ms",
        _at_most("cargohold-postgres", "latency_p50", 2, "ms"),
    ),
    (
        "PostgreSQL idle latency p99 ≤ 10 ms",
        _at_most("cargohold-postgres", "latency_p99", 10, "ms"),
    ),
    ("Idle footprint ≤ 45 MiB PSS, below every two-process peer", _memory),
    ("SQLite claim rate, large ÷ small backlog ≥ 0.8", _backlog("cargohold-sqlite")),
    ("PostgreSQL claim rate, large ÷ small backlog ≥ 0.8", _backlog("cargohold-postgres")),
]


def render(table: Table, document: dict[str, Any]) -> str:
    lines = [
        "## Goals (issue 7)",
        "",
        "| goal | measured | met |",
        "| --- | --- | --- |",
    ]
    for goal, check in GOALS:
        result = check(table)
        if result is None:
            lines.append(f"| {goal} | not measured in this run | - |")
        else:
            text, met = result
            lines.append(f"| {goal} | {text} | {'yes' if met else '**no**'} |")
    lines.append("")
    return "\n".join(lines)
