"""What the supervisor and a runner say to each other over their pipe.

Named tuples, not dataclasses: they are pickled and unpickled once per job on each side,
and a tuple does that several times faster. Jobs go to a runner as plain tuples
(`RunJobFields`), lists of them: pickling a named tuple still runs Python code on both sides
(its `__getnewargs__`, its `__new__`), which a job woken from idle waits for, a tenth of a
millisecond in all; a plain tuple is pickled in C.
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


RunJobFields = tuple[str, str, str, str, int, int, str]
"""A `RunJob` as it is sent: its fields, in order."""


def read_jobs(message: list[RunJobFields]) -> list[RunJob]:
    """The jobs of one message from the supervisor."""
    return [RunJob._make(fields) for fields in message]


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
