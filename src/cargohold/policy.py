"""Pure decisions: turn what happened in an attempt into an outcome. No I/O, no clock."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from cargohold.errors import ConfigurationError
from cargohold.memory.admission import MAX_MEMORY_KILLS, reservation_after_kill
from cargohold.outcome import (
    Cancelled,
    Failed,
    MemoryKilled,
    Outcome,
    Retrying,
    Snoozed,
    Succeeded,
)
from cargohold.records import Claim
from cargohold.units import format_size
from cargohold.worker.messages import RunReport


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: `base * factor ** (attempt - 1)`, capped at `maximum`, then
    spread by +/- `jitter` (a fraction) so that jobs failing together do not retry together."""

    base: float = 1.0
    factor: float = 2.0
    maximum: float = 3600.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.base < 0 or self.maximum < 0:
            raise ConfigurationError("backoff base and maximum must be >= 0")
        if self.factor < 1:
            raise ConfigurationError(f"backoff factor must be >= 1, got {self.factor}")
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(f"backoff jitter must be within 0..1, got {self.jitter}")

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        exponent = max(attempt - 1, 0)
        # Cap the exponent too: factor ** exponent overflows long before it matters.
        raw = self.base * self.factor ** min(exponent, 64) if self.factor > 1 else self.base
        capped = min(raw, self.maximum)
        spread = capped * self.jitter
        return max(0.0, capped + rng.uniform(-spread, spread))


@dataclass(frozen=True, slots=True)
class Failure:
    """What went wrong in one attempt."""

    error: str
    traceback: str | None = None
    permanent: bool = False
    retry_delay: float | None = None
    """A delay the task asked for (the `Retry` signal), used instead of the backoff."""


def decide_failure(
    *,
    attempt: int,
    max_attempts: int,
    failure: Failure,
    now: float,
    backoff: Backoff,
    rng: random.Random,
) -> Retrying | Failed:
    """Retry with backoff while attempts remain and the error is not permanent; else fail."""
    if failure.permanent:
        return Failed(failure.error, failure.traceback)
    if attempt >= max_attempts:
        error = failure.error
        if max_attempts > 1:
            error = f"{error} (gave up after {attempt} attempts)"
        return Failed(error, failure.traceback)
    delay = failure.retry_delay if failure.retry_delay is not None else backoff.delay(attempt, rng)
    return Retrying(now + delay, failure.error, failure.traceback)


def decide(
    report: RunReport,
    claim: Claim,
    *,
    now: float,
    backoff: Backoff,
    rng: random.Random,
) -> Outcome:
    """The outcome of an attempt that ran to its end in the runner."""
    match report.kind:
        case "succeeded":
            return Succeeded(report.result or "null")
        case "snooze":
            return Snoozed(now + (report.delay or 0.0), report.error or "snoozed")
        case "cancel":
            return Cancelled(report.error or "cancelled by the task")
        case "retry" | "error" | "permanent":
            failure = Failure(
                error=report.error or "failed",
                traceback=report.traceback,
                permanent=report.kind == "permanent",
                retry_delay=report.delay,
            )
            return decide_failure(
                attempt=claim.attempt,
                max_attempts=claim.max_attempts,
                failure=failure,
                now=now,
                backoff=backoff,
                rng=rng,
            )
    raise ValueError(f"unknown report kind {report.kind!r}")


def decide_crash(
    claim: Claim,
    description: str,
    *,
    max_crashes: int,
    now: float,
    backoff: Backoff,
    rng: random.Random,
) -> Retrying | Failed:
    """The outcome of an attempt whose runner process died under it."""
    crashes = claim.crashes + 1
    if crashes >= max_crashes:
        return Failed(
            f"{description}; poison job: it crashed its runner {crashes} times", crashed=True
        )
    outcome = decide_failure(
        attempt=claim.attempt,
        max_attempts=claim.max_attempts,
        failure=Failure(description),
        now=now,
        backoff=backoff,
        rng=rng,
    )
    return replace(outcome, crashed=True)


def decide_memory_kill(
    claim: Claim,
    reason: str,
    *,
    reserved: int,
    peak: int,
    budget: int,
    limit: str,
    now: float,
) -> MemoryKilled | Failed:
    """A job killed for outgrowing its reservation runs again with a larger one (counted
    apart from ordinary attempts), until it has had the whole budget and still did not fit."""
    kills = claim.memory_kills + 1
    if reserved >= budget or kills >= MAX_MEMORY_KILLS:
        return Failed(
            f"out of memory: {reason}; it was killed {kills} time(s) for memory, the last time "
            f"with {format_size(reserved)} reserved, and this worker's whole budget for jobs "
            f"is {format_size(budget)} ({limit}); give the container more memory or make "
            f"task {claim.task!r} use less"
        )
    grown = reservation_after_kill(reserved, peak, budget)
    return MemoryKilled(
        now,
        f"out of memory: {reason}; retrying with {format_size(grown)} reserved",
        grown,
    )
