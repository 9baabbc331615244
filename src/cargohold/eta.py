"""When a waiting job should start, estimated from how long the tasks in line before it take
and how many runners serve its queue. Pure: `cargohold.line` reads the numbers from the store.

The model: every runner serving the queue is free at once, or when its running job should end
(the job's task's median duration less what it already ran). The jobs ahead then go, in order,
to whichever runner is free first, each taking the median duration of its task. The job starts
when a runner is free after all of them. With one runner this is exact arithmetic:
remaining time of the running job + the sum of the jobs ahead.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

MAX_SIMULATED = 10_000
"""Jobs ahead handed out one by one; past this many, the rest share the runners evenly."""
MEDIUM_AFTER = 3
"""Runs of a task whose median is trusted somewhat..."""
HIGH_AFTER = 10
"""...and well (stores keep the last 20 successful durations of each task)."""


class Confidence(StrEnum):
    """How much an estimate can be trusted."""

    NONE = "none"
    """No estimate: nothing serves the queue, the queue is paused, or no duration is known."""
    LOW = "low"
    """A guess: a task ran only once or twice, or its duration was borrowed from another."""
    MEDIUM = "medium"
    """Every task involved ran at least MEDIUM_AFTER times."""
    HIGH = "high"
    """Every task involved ran at least HIGH_AFTER times, and every job ahead was seen."""


@dataclass(frozen=True, slots=True)
class Running:
    """A job a runner serving the queue is busy with."""

    task: str
    elapsed: float
    """Seconds it has been running."""


@dataclass(frozen=True, slots=True)
class Line:
    """What the estimate starts from, as read from the store."""

    task: str
    """The waiting job's own task (its duration stands in for an unknown task's)."""
    position: int
    """1 + the jobs ahead of it in its queue."""
    ahead: Mapping[str, int]
    """Tasks of the jobs ahead (all of them, or the first ones when there are many)."""
    slots: int
    """Runners of the workers serving the queue (the sum of their concurrency)."""
    running: Sequence[Running]
    """Jobs those runners are busy with now, whatever their queue."""
    durations: Mapping[str, Sequence[float]]
    """Recent successful durations of each task, in seconds."""
    ready_in: float = 0.0
    """Seconds until the job's run_at (0 when it is ready now)."""
    paused: bool = False


@dataclass(frozen=True, slots=True)
class Estimate:
    seconds: float | None
    """Seconds from now until the job should start; None when there is no estimate."""
    confidence: Confidence
    basis: str
    """How it was reached, in words."""


def median(durations: Sequence[float]) -> float | None:
    return statistics.median(durations) if durations else None


def estimate(line: Line) -> Estimate:
    """When the job of `line` should start."""
    if line.paused:
        return Estimate(None, Confidence.NONE, "its queue is paused")
    if line.slots <= 0:
        return Estimate(None, Confidence.NONE, "no worker serves its queue")
    if line.ready_in > 0:
        return Estimate(
            line.ready_in,
            Confidence.LOW,
            "it is scheduled: it joins the line then, behind whatever waits at that time",
        )
    typical = _Durations(line)
    ahead = max(line.position - 1, 0)
    each = typical.mean_of(line.ahead) if ahead else 0.0
    free_at = [typical.remaining(job) for job in line.running]
    if None in free_at or each is None:
        missing = ", ".join(sorted(typical.unknown)) or "the tasks in line"
        return Estimate(None, Confidence.NONE, f"no run of {missing} has finished yet")
    busy = sorted(at for at in free_at if at is not None)[: line.slots]
    runners = [0.0] * (line.slots - len(busy)) + busy
    seconds = start_after(runners, ahead, each)
    confidence = typical.confidence(extrapolated=sum(line.ahead.values()) < ahead)
    basis = (
        f"{ahead} job(s) ahead, about {each:.1f}s each, on {line.slots} runner(s), "
        f"{len(line.running)} of them busy"
    )
    return Estimate(seconds, confidence, basis)


def start_after(free_at: Sequence[float], jobs: int, each: float) -> float:
    """When a runner is free after `jobs` jobs of `each` seconds went, in order, to whichever
    runner (free at `free_at`) is free first."""
    heap = sorted(free_at)
    handed = min(jobs, MAX_SIMULATED)
    for _ in range(handed):
        heapq.heapreplace(heap, heap[0] + each)
    return heap[0] + (jobs - handed) * each / len(heap)


class _Durations:
    """The median duration of each task, with what was learned about using them."""

    def __init__(self, line: Line) -> None:
        self._medians = {task: median(d) for task, d in line.durations.items() if d}
        self._runs = {task: len(d) for task, d in line.durations.items()}
        own = self._medians.get(line.task)
        known_ahead = [m for task, m in self._medians.items() if task in line.ahead]
        self._fallback = own
        if own is None and known_ahead:
            self._fallback = statistics.median(x for x in known_ahead if x is not None)
        self._fallback_task = line.task if own is not None else None
        self.unknown: set[str] = set()
        self._used: set[str] = set()
        self._borrowed = False

    def of(self, task: str) -> float | None:
        found = self._medians.get(task)
        if found is not None:
            self._used.add(task)
            return found
        self.unknown.add(task)
        if self._fallback is not None:
            self._borrowed = True
            if self._fallback_task is not None:
                self._used.add(self._fallback_task)
        return self._fallback

    def mean_of(self, tasks: Mapping[str, int]) -> float | None:
        """The mean duration of jobs of `tasks` (a count per task), or the fallback."""
        total = sum(tasks.values())
        if not total:
            return self._fallback
        parts = [(self.of(task), count) for task, count in tasks.items()]
        if any(value is None for value, _ in parts):
            return None
        return sum(value * count for value, count in parts if value is not None) / total

    def remaining(self, job: Running) -> float | None:
        typical = self.of(job.task)
        return None if typical is None else max(typical - job.elapsed, 0.0)

    def confidence(self, *, extrapolated: bool) -> Confidence:
        if self._borrowed:
            return Confidence.LOW
        fewest = min((self._runs[task] for task in self._used), default=HIGH_AFTER)
        if fewest >= HIGH_AFTER and not extrapolated:
            return Confidence.HIGH
        if fewest >= MEDIUM_AFTER:
            return Confidence.MEDIUM
        return Confidence.LOW
