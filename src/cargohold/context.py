"""`current_job()`: what a running task knows about its own job, and how it reports progress."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from cargohold.errors import CargoholdError

ProgressSink = Callable[[str, float, float | None, str | None], None]


@dataclass(frozen=True, slots=True)
class JobContext:
    id: str
    task: str
    queue: str
    attempt: int
    max_attempts: int
    lease_token: str
    _report_progress: ProgressSink

    def progress(
        self, current: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Report progress ("page 4 of 12"): `progress(4, 12, "page 4 of 12")`.
        It is stored with the job and shown by `status`, the API and the dashboard."""
        self._report_progress(
            self.id,
            float(current),
            None if total is None else float(total),
            None if message is None else str(message),
        )

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


_current: ContextVar[JobContext | None] = ContextVar("cargohold_current_job", default=None)


def current_job() -> JobContext:
    """The job being run; only valid inside a task executed by a worker."""
    context = _current.get()
    if context is None:
        raise CargoholdError(
            "current_job() was called outside a job; it is only available inside a task "
            "run by a cargohold worker"
        )
    return context


def set_current_job(context: JobContext | None) -> None:
    _current.set(context)
