"""`Job`: a handle on one persisted call of a task."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from cargohold.errors import (
    JobCancelledError,
    JobFailedError,
    JobNotFoundError,
    WaitTimeoutError,
)
from cargohold.payload import storable_text
from cargohold.records import Event, JobRecord, NewJob
from cargohold.states import JobState

if TYPE_CHECKING:
    from cargohold.store.protocol import Store

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Progress:
    current: float
    total: float | None
    message: str | None

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(max(self.current / self.total, 0.0), 1.0)


class Job(Generic[R]):
    """A job as last read from the store; `refresh()` reads it again."""

    def __init__(
        self,
        store: Store,
        record: JobRecord | NewJob,
        *,
        created: bool = True,
        written_at: float = 0.0,
    ) -> None:
        """`record`, or the `NewJob` just written at `written_at`, whose record is made only
        when first read (a bulk enqueue returns thousands of jobs, most never looked at)."""
        self._store = store
        self._known = record
        self._written_at = written_at
        self.created = created
        """False when enqueue found an existing job with the same key and returned it."""

    @property
    def _record(self) -> JobRecord:
        known = self._known
        if isinstance(known, NewJob):
            known = self._known = known.record(self._written_at)
        return known

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.task} {self.state} attempt {self.attempt}>"

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def record(self) -> JobRecord:
        return self._record

    @property
    def task(self) -> str:
        return self._record.task

    @property
    def queue(self) -> str:
        return self._record.queue

    @property
    def state(self) -> JobState:
        return self._record.state

    @property
    def attempt(self) -> int:
        return self._record.attempt

    @property
    def result(self) -> R | None:
        """The task's return value once the job succeeded, else None."""
        if self._record.state != JobState.SUCCEEDED:
            return None
        value: R = self._record.result_value
        return value

    @property
    def error(self) -> str | None:
        return self._record.error

    @property
    def progress(self) -> Progress | None:
        record = self._record
        if record.progress_current is None:
            return None
        return Progress(record.progress_current, record.progress_total, record.progress_message)

    def refresh(self) -> Job[R]:
        record = self._store.get_job(self.id)
        if record is None:
            raise JobNotFoundError(f"job {self.id} no longer exists (pruned or deleted)")
        self._known = record
        return self

    def events(self) -> list[Event]:
        return self._store.job_events(self.id)

    def cancel(self, reason: str = "cancelled by request") -> bool:
        """Cancel the job: at once if it waits, by stopping its runner if it runs.
        Returns False if it had already finished."""
        if self.refresh().state.is_terminal:
            return False
        reason = storable_text(reason)
        self._known = record = self._store.cancel(self.id, reason, self._store.now())
        return record.state == JobState.CANCELLED or record.cancel_requested

    def wait(self, timeout: float | None = None, poll: float = 0.5) -> R | None:
        """Block until the job finishes and return its result; raise JobFailedError or
        JobCancelledError if it did not succeed, WaitTimeoutError after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.005
        while not self.refresh().state.is_terminal:
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeoutError(
                    f"job {self.id} is still {self.state} after waiting {timeout:g}s"
                )
            remaining = poll if deadline is None else min(poll, deadline - time.monotonic())
            time.sleep(max(0.0, min(delay, remaining)))
            delay = min(delay * 2, poll)
        if self.state == JobState.FAILED:
            raise JobFailedError(f"job {self.id} ({self.task}) failed: {self.error}")
        if self.state == JobState.CANCELLED:
            raise JobCancelledError(f"job {self.id} ({self.task}) was cancelled: {self.error}")
        return self.result
