"""What one attempt decided. The worker computes an outcome; the store applies it in one call."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Succeeded:
    result: str
    """The return value, already encoded as JSON."""


@dataclass(frozen=True, slots=True)
class Retrying:
    """The attempt failed and counts; the job runs again at `run_at`."""

    run_at: float
    error: str
    traceback: str | None = None
    crashed: bool = False
    """The runner process died: counted towards the poison limit."""


@dataclass(frozen=True, slots=True)
class Snoozed:
    """The job runs again at `run_at`; this attempt does not count."""

    run_at: float
    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """The job is dead: retries exhausted, or the error is permanent."""

    error: str
    traceback: str | None = None
    crashed: bool = False


@dataclass(frozen=True, slots=True)
class MemoryKilled:
    """The job outgrew its memory reservation and was killed; it runs again at `run_at` with
    a larger `reservation`, without counting this as an ordinary attempt."""

    run_at: float
    error: str
    reservation: int


@dataclass(frozen=True, slots=True)
class Cancelled:
    reason: str


@dataclass(frozen=True, slots=True)
class HandedBack:
    """The job never really ran (or was stopped to protect the host): queue it again now,
    without counting the attempt."""

    reason: str


Outcome = Succeeded | Retrying | Snoozed | Failed | Cancelled | HandedBack | MemoryKilled
