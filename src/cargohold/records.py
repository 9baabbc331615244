"""Plain values that cross the store boundary: what is written, claimed, acked and read back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cargohold.outcome import Outcome
from cargohold.payload import decode_result
from cargohold.states import JobState

LimitRef = tuple[str, str]
"""A concurrency limit or rate limit as a job names it: (name, key); key '' when not per key."""


class NewJob(NamedTuple):
    """One call of a task, ready to be written by `Store.enqueue` (a tuple: a bulk enqueue
    makes thousands, and a tuple is made in a third of a frozen dataclass's time)."""

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
    limits: tuple[LimitRef, ...] = ()
    """Concurrency limits the job holds a slot of while it runs."""
    rates: tuple[LimitRef, ...] = ()
    """Rate limits the job draws a grant from before it starts."""
    wait_timeout: float | None = None
    """Seconds it may wait once ready before it is cancelled instead of started."""
    max_depth: int | None = None
    """Refuse the job (QueueFullError) if its queue already holds this many waiting jobs."""

    def record(self, now: float) -> JobRecord:
        """The job as `Store.enqueue` wrote it at `now`."""
        run_at = now if self.run_at is None else self.run_at
        return JobRecord(
            id=self.id,
            task=self.task,
            queue=self.queue,
            state=JobState.SCHEDULED if run_at > now else JobState.QUEUED,
            priority=self.priority,
            args=self.args,
            key=self.key,
            attempt=0,
            max_attempts=self.max_attempts,
            crashes=0,
            run_at=run_at,
            created_at=now,
            started_at=None,
            finished_at=None,
            worker_id=None,
            lease_token=None,
            lease_expires_at=None,
            timeout=self.timeout,
            memory=self.memory,
            progress_current=None,
            progress_total=None,
            progress_message=None,
            result=None,
            error=None,
            traceback=None,
            cancel_requested=False,
        )


class Enqueued(NamedTuple):
    """The id a `NewJob` ended up with: its own, or that of the job already holding its key.
    (A tuple of plain values: the garbage collector stops tracking it, which matters when a
    bulk enqueue holds thousands.)"""

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
    limits: tuple[LimitRef, ...] = ()
    rates: tuple[LimitRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Heard:
    """What a worker's wake-up descriptor had for it (`Wakeup.drain`)."""

    handed: list[Claim]
    """Jobs handed to the worker's standing offer, already claimed for it."""
    woken: bool
    """A wake-up came that brought no job: new work may be ready for a claim. Also true
    when nothing could be read, or the connection was lost (a wake-up may be missed)."""


@dataclass(frozen=True, slots=True)
class Ack:
    """The outcome of one attempt, to be persisted only while `lease_token` still holds."""

    job_id: str
    lease_token: str
    outcome: Outcome
    peak_memory: int | None = None
    """Memory the attempt used at its peak, above what its runner held when it started."""
    duration: float | None = None
    """How long the attempt ran, as its worker measured it; when absent, the time since the
    claim (a worker may hold a claimed job briefly before a runner starts it)."""


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
    expired: tuple[str, ...] = ()
    """Waiting jobs cancelled because they waited longer than their task's wait_timeout."""


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
    limits: tuple[LimitRef, ...] = ()
    rates: tuple[LimitRef, ...] = ()
    wait_timeout: float | None = None

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


# -- flow control -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """Ask for one slot of a concurrency limit, held under `token` until released or until
    its lease runs out without being extended."""

    token: str
    name: str
    key: str
    concurrency: int
    holder: str
    """Who holds it, in words (a job id, or host:pid of request code)."""
    lease: float


@dataclass(frozen=True, slots=True)
class SlotHolder:
    """A slot of a concurrency limit, held now."""

    token: str
    name: str
    key: str
    capacity: int
    """The limit's concurrency when the slot was taken."""
    job_id: str | None
    holder: str
    acquired_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class RateRequest:
    """Ask for one grant of a rate limit: at most `limit` grants in any `period` seconds."""

    name: str
    key: str
    limit: int
    period: float


@dataclass(frozen=True, slots=True)
class RateDecision:
    granted: bool
    at: float
    """When it was granted (or refused), on the store's clock: grant times never go back."""
    wait: float
    """Seconds until a grant could be given (0 when granted)."""


@dataclass(frozen=True, slots=True)
class QueueControl:
    """A queue an operator paused or resumed."""

    name: str
    paused: bool
    changed_at: float


# -- metrics ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Histogram:
    """Observations counted under each upper bound, cumulative as Prometheus has them: the
    last bound is infinity, and its count is `count`."""

    buckets: tuple[tuple[float, int], ...]
    count: int
    sum: float


@dataclass(frozen=True, slots=True)
class JobMetrics:
    """What the jobs the store still holds say about durations, waits and failures."""

    durations: dict[str, Histogram]
    """By task: seconds the last attempt of each succeeded or failed job ran."""
    waits: dict[str, Histogram]
    """By queue: seconds from ready (enqueued, or its delay or backoff over) to the start of
    the last attempt, of each job that started."""
    retries: dict[str, int]
    """By task: attempts that failed and were scheduled again (events `retrying`)."""
    memory_kills: dict[str, int]
    """By task: attempts killed for outgrowing their memory (events `memory_killed`)."""
