"""Task-control signals: raised inside a task to tell the worker what to do with the job.

They are not errors: raising one is the task's way to decide its own outcome.
"""

from __future__ import annotations

from cargohold.units import parse_duration


class TaskSignal(Exception):  # noqa: N818 - signals, not errors
    """Base of the signals a task may raise to steer its job."""


class Retry(TaskSignal):
    """Run the job again after `delay`, counting this run as a failed attempt."""

    def __init__(self, reason: str = "task asked to be retried", delay: str | float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.delay = None if delay is None else parse_duration(delay)


class Snooze(TaskSignal):
    """Run the job again after `delay` without counting this run as an attempt."""

    def __init__(self, delay: str | float, reason: str = "task snoozed"):
        super().__init__(reason)
        self.reason = reason
        self.delay = parse_duration(delay)


class Cancel(TaskSignal):
    """Stop the job for good and mark it cancelled; no retry."""

    def __init__(self, reason: str = "task cancelled itself"):
        super().__init__(reason)
        self.reason = reason


class Fail(TaskSignal):
    """Fail the job for good, whatever retries are left: the error is permanent."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
