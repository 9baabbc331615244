"""What the supervisor and a runner say to each other over their pipe.

Named tuples, not dataclasses: they are pickled and unpickled once per job on each side,
and a tuple does that several times faster.
"""

from __future__ import annotations

from typing import NamedTuple


class RunJob(NamedTuple):
    """Supervisor to runner: run this attempt."""

    id: str
    task: str
    queue: str
    args: str
    attempt: int
    max_attempts: int
    lease_token: str


class ProgressReport(NamedTuple):
    """Runner to supervisor: the job moved on."""

    job_id: str
    current: float
    total: float | None
    message: str | None


class RunReport(NamedTuple):
    """Runner to supervisor: how the attempt ended.

    kind is one of: "succeeded" (result holds the JSON), "error" (an exception),
    "permanent" (an error no retry can fix), "retry", "snooze", "cancel" (task signals).
    """

    job_id: str
    kind: str
    result: str | None = None
    error: str | None = None
    traceback: str | None = None
    delay: float | None = None
    peak_memory: int | None = None
    """The runner's peak resident memory during the attempt, above what it held at start."""
    resources: tuple[str, ...] = ()
    """Resources loaded in the runner after the attempt (kept warm for the next jobs)."""


STOP = None
"""Supervisor to runner: finish up and exit."""
