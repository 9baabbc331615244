"""Pure arithmetic of memory admission: what a job is expected to need, what is free, and
what to reserve after a job was killed for memory. No I/O here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIB = 1024 * 1024
RUNNER_OVERHEAD = 8 * MIB
"""Added to a declared `memory=`: what a runner itself dirties around any job."""
LEARN_AFTER = 3
"""Observed peaks a task needs before its learned reservation replaces the declared one."""
LEARN_PERCENTILE = 0.95
LEARN_MARGIN = 1.10
KEEP_OBSERVATIONS = 20
MEMORY_RETRY_GROWTH = 5
MAX_MEMORY_KILLS = 3
"""Memory kills a job may take (each with a larger reservation) before it fails for good;
counted apart from ordinary retries."""


@dataclass(frozen=True, slots=True)
class MemoryOffer:
    """What a worker can take on: jobs whose need is at most `free` bytes. A job whose need
    is unknown counts as `unknown_need` (the whole budget when nothing runs, so that a task
    never measured runs alone the first time)."""

    free: int
    unknown_need: int


def percentile(values: Sequence[int], fraction: float) -> int:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def learned_reservation(peaks: Sequence[int]) -> int | None:
    """A high percentile of a task's observed peaks plus a margin, once there are enough."""
    if len(peaks) < LEARN_AFTER:
        return None
    return int(percentile(peaks, LEARN_PERCENTILE) * LEARN_MARGIN) + RUNNER_OVERHEAD


def remember(values: Sequence[float], value: float) -> list[float]:
    """The most recent observations, newest last."""
    return [*values, value][-KEEP_OBSERVATIONS:]


def remember_all(values: Sequence[float], new: Sequence[float]) -> list[float]:
    """`remember` each of `new`, in order, at once."""
    return [*values, *new][-KEEP_OBSERVATIONS:]


def reservation_after_kill(reserved: int, peak: int | None, budget: int) -> int:
    """A job killed at its reservation gets a larger one next time, up to the whole budget."""
    grown = max(reserved * MEMORY_RETRY_GROWTH, (peak or 0) * 2)
    return min(grown, budget)


@dataclass(frozen=True, slots=True)
class RunnerLoad:
    """One runner as admission sees it."""

    usage: int
    """What it uses now."""
    committed: int
    """What it may grow to: usage at the job's start plus the job's reservation, or its usage
    when idle."""


def free_memory(capacity: int, runners: Sequence[RunnerLoad]) -> int:
    """What is left for a new job once every runner's commitment is counted."""
    return capacity - sum(max(runner.usage, runner.committed) for runner in runners)


MEMORY_PER_DEFAULT_SLOT = 128 * MIB
MAX_DEFAULT_CONCURRENCY = 16


def default_concurrency(capacity: int) -> int:
    """Runner slots from the memory budget, not from the CPU count."""
    return max(1, min(MAX_DEFAULT_CONCURRENCY, capacity // MEMORY_PER_DEFAULT_SLOT))
