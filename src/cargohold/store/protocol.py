"""The store: the one place jobs are persisted. Every store implements these verbs.

Every write about a running job is fenced by its lease token: a worker that lost its lease
(it froze, its clock jumped, it was cut off) can no longer change the job.
All times are seconds since the epoch on the store's own clock (`Store.now()`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

from cargohold.memory.admission import MemoryOffer
from cargohold.records import (
    Ack,
    Claim,
    Enqueued,
    Event,
    Heard,
    HeartbeatReply,
    JobFilter,
    JobMetrics,
    JobRecord,
    MemoryReport,
    NewJob,
    ProgressUpdate,
    QueueCounts,
    RescueReport,
    TaskStats,
    WorkerInfo,
)
from cargohold.states import JobState
from cargohold.store.copying import CopyPage
from cargohold.store.flow import FlowStore


class Wakeup(Protocol):
    """A file descriptor that becomes readable when new work may be ready."""

    def fileno(self) -> int: ...

    def drain(self) -> Heard:
        """Consume pending wake-ups so the descriptor stops being readable: the jobs that
        came with them, handed to the worker's standing offer (`Store.stand_offer`), and
        whether any came without a job."""

    def close(self) -> None: ...


class Store(FlowStore, Protocol):
    url: str
    concurrent_writes: bool
    """Whether write transactions on separate connections run side by side (PostgreSQL)
    rather than one after the other (SQLite's single writer). A worker of quick jobs then
    persists outcomes and claims its next jobs in two transactions at once."""

    def now(self) -> float:
        """The store's clock, which every lease and schedule is measured on."""

    def migrate(self) -> int:
        """Apply pending migrations; return how many were applied."""

    def enqueue(self, jobs: Sequence[NewJob], now: float) -> list[Enqueued]:
        """Write jobs in one transaction. A job whose key is taken is not written: the
        existing job's id is returned instead, with `created=False`. `jobs` may make each
        job as it is first read (`JobsOnDemand`), raising if a call cannot be made into one:
        then nothing is written."""

    def enqueue_in(self, connection: object, jobs: Sequence[NewJob], now: float) -> list[Enqueued]:
        """`enqueue` inside the caller's open transaction, with the caller's own DB-API
        connection to the store's database (psycopg 3 for PostgreSQL, sqlite3 for SQLite):
        the jobs exist if and only if that transaction commits. Nothing is committed here.
        Idle workers hear of the jobs only after the commit (PostgreSQL: NOTIFY in the
        transaction; SQLite: at their next poll). ConfigurationError for a connection of
        another kind, to another database, or in autocommit mode outside a transaction."""

    def claim(
        self,
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
        now: float,
        memory: MemoryOffer | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> list[Claim]:
        """Move up to `limit` ready jobs to running under fresh leases, highest priority first,
        incrementing their attempt; `queues=None` takes from every queue. Jobs of paused
        queues, and jobs past their wait deadline, are left.

        `limits` gives the concurrency of each limit this worker knows: a job under limits
        is claimed only if each has a free slot, and takes one (held under its lease token,
        extended by `heartbeat`, freed by `ack`). Jobs under other limits are left.

        With `memory`, take only jobs whose need fits what is left of `memory.free` (each
        claimed job's need is subtracted before the next is chosen, so a smaller job may
        pass a larger one); a job with no known need counts as `memory.unknown_need` and,
        once one job is claimed, no job of unknown need follows it in the same call."""

    def ack(self, worker_id: str, acks: Sequence[Ack], now: float) -> list[bool]:
        """Persist outcomes in one transaction. An outcome whose lease no longer holds is
        refused (False) and changes nothing. A success updates its task's statistics."""

    def ack_and_claim(
        self,
        worker_id: str,
        acks: Sequence[Ack],
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
        now: float,
        memory: MemoryOffer | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> tuple[list[bool], list[Claim]]:
        """`ack` then `claim` in one transaction: the worker's hot path, one commit per round."""

    def heartbeat(
        self,
        worker_id: str,
        lease_tokens: Sequence[str],
        lease: float,
        now: float,
        memory: MemoryReport | None = None,
    ) -> HeartbeatReply:
        """Extend the named leases where this worker still holds them, and say which jobs
        those are; record that the worker is alive (with its memory budget and what is free
        of it). A lease the worker does not name (a claim whose reply it never received) is
        left to expire and be rescued."""

    def record_progress(self, updates: Sequence[ProgressUpdate]) -> list[bool]: ...

    def rescue(self, rescuer: str, now: float) -> RescueReport:
        """Jobs whose lease expired go back to the queue, or fail if that was their last
        allowed attempt. Scheduled jobs whose time has come become queued. Waiting jobs past
        their wait deadline are cancelled (event `expired`, with the reason). Expired limit
        slots and rate grants out of every window are forgotten."""

    def prune(
        self,
        state: JobState,
        before: float,
        *,
        keys_before: float | None = None,
        limit: int | None = None,
    ) -> int:
        """Delete jobs in a terminal `state` that finished before `before`, with their events
        (at most `limit` of them). A job holding an idempotency key is kept until it finished
        before `keys_before` too, so that its key keeps deduplicating until then."""

    def get_job(self, job_id: str) -> JobRecord | None: ...

    def find_jobs(self, query: JobFilter) -> list[JobRecord]: ...

    def job_events(self, job_id: str) -> list[Event]: ...

    def count_jobs(self) -> dict[str, QueueCounts]:
        """Jobs per state, per queue."""

    def job_metrics(self) -> JobMetrics:
        """Durations by task, waits by queue (histograms over `store.metrics.BOUNDS`), and
        retries and memory kills by task, counted over the jobs the store still holds (a
        prune lowers them)."""

    def cancel(self, job_id: str, reason: str, now: float) -> JobRecord:
        """Cancel a waiting job at once; ask the worker of a running one to stop it."""

    def retry(self, job_id: str, now: float) -> JobRecord:
        """Queue a failed or cancelled job again, with a fresh set of attempts."""

    def delete_job(self, job_id: str) -> JobRecord:
        """Delete a job that is not running, with its events; return it as it was.
        JobNotFoundError if there is no such job; InvalidTransitionError if it runs (cancel
        it first). A deleted job's key is free again."""

    def register_worker(self, info: WorkerInfo) -> None: ...

    def touch_worker(
        self, worker_id: str, now: float, memory: MemoryReport | None = None
    ) -> None: ...

    def task_stats(self) -> list[TaskStats]:
        """Per task: recent peaks and durations of successful runs, and the learned memory
        reservation (a high percentile of the peaks plus a margin, after a few runs)."""

    def head_need(
        self, queues: Sequence[str] | None, now: float, limits: Mapping[str, int] | None = None
    ) -> tuple[str, int | None] | None:
        """The id and memory need of the job first in line in `queues`, if any could be
        claimed (see `claim` for `limits`)."""

    def queue_position(self, job_id: str, now: float) -> int | None:
        """Where a ready job stands in its queue: 1 + the ready jobs of the same queue that a
        claim would take before it (higher priority, then earlier run_at, then smaller id),
        counted on the queue's index of ready jobs. A job is ready when it is queued or
        scheduled and its run_at has come. None if the job is not ready (running, finished,
        scheduled for later) or does not exist."""

    def tasks_ahead(self, job_id: str, now: float, limit: int) -> dict[str, int]:
        """How many of the first `limit` ready jobs ahead of this one in its queue (see
        `queue_position`) are of each task; empty if the job is not ready."""

    def unregister_worker(self, worker_id: str) -> None: ...

    def list_workers(self) -> list[WorkerInfo]: ...

    def forget_stale_workers(self, before: float) -> int: ...

    def export(self, page_size: int) -> Iterator[CopyPage]:
        """Every job with its events, in pages of `page_size` jobs in id order, each read in
        a short transaction of its own; the last page also carries the task statistics."""

    def import_page(self, page: CopyPage) -> int:
        """Write the page's jobs this store does not have yet (none with the same id or
        key), with their events, and the statistics of tasks it knows nothing of; return how
        many jobs were written. Importing a page twice writes it once."""

    def wakeup(self, worker_id: str | None = None) -> Wakeup | None:
        """A wake-up channel for an idle worker, or None if the store only supports polling.
        With `worker_id`, it also brings the jobs handed to that worker's standing offers."""

    def stand_offer(
        self,
        worker_id: str,
        queues: Sequence[str] | None,
        memory: MemoryOffer,
        lease: float,
        now: float,
        until: float,
    ) -> str | None:
        """An idle worker that found nothing to claim offers to run the next job: a single
        enqueue of a job ready now, with no key, limits or rates, into one of `queues`,
        whose need fits `memory`, is then written already claimed for the worker, and comes
        to it through its wake-up channel (`Wakeup.drain`) instead of waiting for a claim.
        One job at most takes an offer; a new offer replaces the worker's last one; an offer
        not taken lapses at `until` (a dead worker's offer is taken by no job after that,
        and a job that took it is rescued when its lease of `lease` seconds expires).
        The offer's lease token (the job's, if one takes it), or None if this store does not
        hand jobs over (nothing is done)."""

    def withdraw_offer(self, worker_id: str, lease_token: str) -> Claim | None:
        """Withdraw a standing offer; if a job took it already, that job, claimed for the
        worker (also sent through the wake-up channel, where it may not have arrived)."""

    def close(self) -> None: ...
