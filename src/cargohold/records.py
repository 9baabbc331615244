"""Plain values that cross the store boundary: what is written, claimed, acked and read back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cargohold.outcome import Outcome
from cargohold.payload import decode_result
from cargohold.states import JobState


@dataclass(frozen=True, slots=True)
class NewJob:
    """One call of a task, ready to be written by `Store.enqueue`."""

    id: str
    task: str
    queue: str
    args: str
    priority: int = 0
    max_attempts: int = 1
    run_at: float | None = None
    timeout: float | None = None
    key: str | None = None
    memory: int | None = None
    """Declared memory need in bytes (the task's `memory=`)."""


@dataclass(frozen=True, slots=True)
class Enqueued:
    """The id a `NewJob` ended up with: its own, or that of the job already holding its key."""

    id: str
    created: bool


@dataclass(frozen=True, slots=True)
class Claim:
    """A job handed to one worker under a lease, for one attempt."""

    id: str
    task: str
    queue: str
    args: str
    attempt: int
    max_attempts: int
    crashes: int
    memory_kills: int
    lease_token: str
    timeout: float | None
    need: int | None = None
    """Expected memory in bytes: reservation after a memory kill, else learned, else
    declared; None when the task was never measured nor declared."""


@dataclass(frozen=True, slots=True)
class Ack:
    """The outcome of one attempt, to be persisted only while `lease_token` still holds."""

    job_id: str
    lease_token: str
    outcome: Outcome
    peak_memory: int | None = None
    """Memory the attempt used at its peak, above what its runner held when it started."""


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    job_id: str
    lease_token: str
    current: float
    total: float | None
    message: str | None


@dataclass(frozen=True, slots=True)
class HeartbeatReply:
    """Which of a worker's leases are still held, and which of those jobs should be cancelled."""

    held: frozenset[str]
    cancel_requested: frozenset[str]


@dataclass(frozen=True, slots=True)
class RescueReport:
    requeued: tuple[str, ...]
    failed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    id: str
    hostname: str
    pid: int
    queues: tuple[str, ...] | None
    concurrency: int
    started_at: float
    last_seen: float
    memory_budget: int | None = None
    memory_free: int | None = None


@dataclass(frozen=True, slots=True)
class MemoryReport:
    """A worker's memory budget for jobs and what of it is free, as of its last heartbeat."""

    budget: int
    free: int


@dataclass(frozen=True, slots=True)
class TaskStats:
    """What the store learned about a task from its finished jobs."""

    task: str
    peaks: tuple[int, ...]
    durations: tuple[float, ...]
    learned_memory: int | None


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a job's append-only audit trail."""

    id: int
    job_id: str
    at: float
    kind: str
    state: JobState
    attempt: int
    lease_token: str | None
    worker_id: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class JobRecord:
    """Everything the store knows about one job."""

    id: str
    task: str
    queue: str
    state: JobState
    priority: int
    args: str
    key: str | None
    attempt: int
    max_attempts: int
    crashes: int
    run_at: float
    created_at: float
    started_at: float | None
    finished_at: float | None
    worker_id: str | None
    lease_token: str | None
    lease_expires_at: float | None
    timeout: float | None
    progress_current: float | None
    progress_total: float | None
    progress_message: str | None
    result: str | None
    error: str | None
    traceback: str | None
    cancel_requested: bool
    memory: int | None = None
    reservation: int | None = None
    peak_memory: int | None = None
    memory_kills: int = 0
    need: int | None = None

    @property
    def result_value(self) -> Any:
        return decode_result(self.result)

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


@dataclass(frozen=True, slots=True)
class JobFilter:
    """What `Store.find_jobs` selects; every field narrows the selection."""

    states: tuple[JobState, ...] = ()
    queues: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    key: str | None = None
    created_after: float | None = None
    created_before: float | None = None
    limit: int = 100
    offset: int = 0
    newest_first: bool = True


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """Jobs per state, for one queue or for the whole store."""

    by_state: dict[JobState, int] = field(default_factory=dict)

    def __getitem__(self, state: JobState) -> int:
        return self.by_state.get(state, 0)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())
