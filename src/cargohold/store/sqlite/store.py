"""The embedded default store: one SQLite file in WAL mode, shared by any number of processes
on one host. Every write transaction is BEGIN IMMEDIATE, so writers queue on the busy timeout
instead of failing half-way."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cargohold.errors import (
    ConfigurationError,
    InvalidTransitionError,
    JobNotFoundError,
)
from cargohold.memory.admission import (
    RUNNER_OVERHEAD,
    FittingChoice,
    MemoryOffer,
    learned_reservation,
    remember,
)
from cargohold.outcome import (
    Cancelled,
    Failed,
    HandedBack,
    MemoryKilled,
    Retrying,
    Snoozed,
    Succeeded,
)
from cargohold.records import (
    Ack,
    Claim,
    Event,
    JobFilter,
    JobMetrics,
    JobRecord,
    QueueCounts,
    TaskStats,
)
from cargohold.states import JobState
from cargohold.store import metrics, rowmaps
from cargohold.store.copying import CopyPage, export_pages
from cargohold.store.flow import capacities_json, refs_json, refs_of
from cargohold.store.sqlfiles import migrations, split_statements, statement
from cargohold.store.sqlite import copying
from cargohold.store.sqlite.connection import SQLiteConnection, database_path
from cargohold.store.sqlite.events import SQLiteEvents
from cargohold.store.sqlite.events import event_params as _event_params
from cargohold.store.sqlite.flow import SQLiteFlow
from cargohold.store.sqlite.leases import SQLiteLeases
from cargohold.store.sqlite.line import SQLiteLine
from cargohold.store.sqlite.producing import SQLiteProducing
from cargohold.store.sqlite.wakeup import Notifier, SocketWakeup, wakeup_folder
from cargohold.store.sqlite.workers import SQLiteWorkers

_PACKAGE = "cargohold.store.sqlite"
UNBOUNDED = 2**62
CLAIM_HORIZON = 1024
"""How far down the line a claim looks for jobs that fit in memory: a smaller job may pass
larger ones, but not without bound (each claim's cost stays bounded)."""
"""Memory offered to a claim that is not limited by memory."""


def _sql(name: str) -> str:
    return statement(_PACKAGE, name)


class SQLiteStore(
    SQLiteConnection,
    SQLiteEvents,
    SQLiteProducing,
    SQLiteLeases,
    SQLiteWorkers,
    SQLiteFlow,
    SQLiteLine,
):
    def __init__(self, url: str, *, synchronous: str = "FULL") -> None:
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ConfigurationError(f"SQLite synchronous mode {synchronous!r} is not durable")
        self.url = url
        self.path = database_path(url)
        self._synchronous = synchronous.upper()
        self._local = threading.local()
        self._notifier = Notifier(wakeup_folder(self.path))
        self._create_private_file()
        self.migrate()

    # -- schema ------------------------------------------------------------------------------

    def migrate(self) -> int:
        if self._up_to_date():
            return 0
        applied = 0
        with self._write() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS cargohold_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
            )
            done = {
                row[0] for row in connection.execute("SELECT version FROM cargohold_migrations")
            }
            for version, name, script in migrations(_PACKAGE):
                if version in done:
                    continue
                for sql in split_statements(script):
                    connection.execute(sql)
                connection.execute(
                    "INSERT INTO cargohold_migrations VALUES (?, ?, ?)",
                    (version, name, time.time()),
                )
                applied += 1
        return applied

    def _up_to_date(self) -> bool:
        """Whether every migration is applied, found by a read: opening a migrated store
        takes no write lock, so it cannot wait on a transaction of this very process (a
        caller enqueueing in its own transaction on a store not opened yet)."""
        try:
            rows = self._read("SELECT version FROM cargohold_migrations")
        except sqlite3.OperationalError:  # no such table: a new file
            return False
        done = {row[0] for row in rows}
        return all(version in done for version, _, _ in migrations(_PACKAGE))

    # -- working -----------------------------------------------------------------------------

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
        if limit <= 0:
            return []
        with self._write(synced=False) as connection:
            return self._claim(connection, worker_id, queues, limit, lease, now, memory, limits)

    def ack(self, worker_id: str, acks: Sequence[Ack], now: float) -> list[bool]:
        with self._write() as connection:
            return self._ack(connection, worker_id, acks, now)

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
        # Outcomes reach the disk before the call returns; a claim alone need not: if a
        # power cut forgets it, the job is simply claimed and run again.
        with self._write(synced=bool(acks)) as connection:
            accepted = self._ack(connection, worker_id, acks, now)
            claims = self._claim(connection, worker_id, queues, limit, lease, now, memory, limits)
        return accepted, claims

    def _claim(
        self,
        connection: sqlite3.Connection,
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
        now: float,
        memory: MemoryOffer | None,
        limits: Mapping[str, int] | None = None,
    ) -> list[Claim]:
        if limit <= 0:
            return []
        params: dict[str, Any] = {
            "limits": capacities_json(limits),
            "worker_id": worker_id,
            "limit": limit,
            "lease": lease,
            "now": now,
            "overhead": RUNNER_OVERHEAD,
            "queues": None if queues is None else json.dumps(list(queues)),
        }
        if memory is not None and not limits:
            claims = self._claim_fitting_batch(connection, params, limit, memory)
        elif memory is not None:
            claims = self._claim_fitting(connection, params, limit, memory)
        else:  # jobs under no limit in one statement, then those under limits one by one
            sql = _sql("claim" if queues is None else "claim_from_queues")
            claims = [_claim(row) for row in connection.execute(sql, params)]
            if limits and len(claims) < limit:
                claims += self._claim_fitting(connection, params, limit - len(claims), None)
        connection.executemany(
            _sql("insert_event"),
            [
                _event_params(
                    c.id,
                    now,
                    "claimed",
                    JobState.RUNNING,
                    c.attempt,
                    c.lease_token,
                    worker_id,
                    None,
                )
                for c in claims
            ],
        )
        return claims

    @staticmethod
    def _claim_fitting_batch(
        connection: sqlite3.Connection,
        params: dict[str, Any],
        limit: int,
        memory: MemoryOffer,
    ) -> list[Claim]:
        """`_claim_fitting` for a worker that knows no limits (so jobs under limits are not
        its to take): read the line in windows, choose in order what fits, claim the chosen
        in one statement. The write lock held since BEGIN IMMEDIATE keeps the line still."""
        choice = FittingChoice(memory, limit)
        window = 2 * limit
        # The head of the line first; if that was not enough, what fits of the rest of
        # the claim's horizon (with what is left now, so most of it is skipped in SQL).
        for offset, size in ((0, window), (window, max(0, CLAIM_HORIZON - window))):
            rows = connection.execute(
                _sql("claim_window"),
                {
                    **params,
                    "free": choice.free,
                    "unknown_need": choice.unknown_need,
                    "window": size,
                    "offset": offset,
                },
            ).fetchall()
            for row in rows:
                choice.consider(row["id"], row["need"])
            if choice.done:
                break
        if not choice.chosen:
            return []
        order = {job_id: index for index, job_id in enumerate(choice.chosen)}
        rows = connection.execute(
            _sql("claim_chosen"), {**params, "ids": json.dumps(choice.chosen)}
        ).fetchall()
        return sorted((_claim(row) for row in rows), key=lambda claim: order[claim.id])

    @staticmethod
    def _claim_fitting(
        connection: sqlite3.Connection,
        params: dict[str, Any],
        limit: int,
        memory: MemoryOffer | None,
    ) -> list[Claim]:
        """Claim one job at a time, each the first in line whose need fits what is left
        (a smaller job may pass a larger one that does not fit) and whose limits have a free
        slot, which it takes at once: the next job in line sees it taken."""
        claims: list[Claim] = []
        free, unknown_need = (
            (UNBOUNDED, 0) if memory is None else (memory.free, memory.unknown_need)
        )
        while len(claims) < limit and free > 0:
            row = connection.execute(
                _sql("claim_fitting"), {**params, "free": free, "unknown_need": unknown_need}
            ).fetchone()
            if row is None:
                break
            claim = _claim(row)
            claims.append(claim)
            if claim.limits:
                connection.execute(
                    _sql("claim_slots"),
                    {
                        **params,
                        "lease_token": claim.lease_token,
                        "job_id": claim.id,
                        "job_limits": refs_json(claim.limits),
                    },
                )
            if memory is not None:
                free -= unknown_need if claim.need is None else claim.need
                unknown_need = free + 1  # a never-measured task only ever starts alone
        return claims

    def _ack(
        self, connection: sqlite3.Connection, worker_id: str, acks: Sequence[Ack], now: float
    ) -> list[bool]:
        if acks:  # an attempt's end, whatever it was, frees the slots it held
            tokens = json.dumps([ack.lease_token for ack in acks])
            connection.execute(_sql("slot_release"), {"tokens": tokens})
        accepted = []
        events: list[dict[str, Any]] = []
        learned: dict[str, list[tuple[int | None, float]]] = {}
        succeeded = self._ack_successes(connection, acks, now)
        for ack in acks:
            name, state, params, reason = _ack_statement(ack, now)
            if name == "ack_succeeded":
                row = succeeded.get((ack.job_id, ack.lease_token))
            else:
                params.update(job_id=ack.job_id, lease_token=ack.lease_token, peak=ack.peak_memory)
                row = connection.execute(_sql(name), params).fetchone()
            accepted.append(row is not None)
            if row is None:
                continue
            if isinstance(ack.outcome, Succeeded):
                duration = now - row["started_at"] if ack.duration is None else ack.duration
                learned.setdefault(row["task"], []).append((ack.peak_memory, duration))
            if state is None:  # retry and snooze land in queued or scheduled
                state = JobState.SCHEDULED if params["run_at"] > now else JobState.QUEUED
            events.append(
                _event_params(
                    ack.job_id,
                    now,
                    name.removeprefix("ack_"),
                    state,
                    row["attempt"],
                    ack.lease_token,
                    worker_id,
                    reason,
                )
            )
        connection.executemany(_sql("insert_event"), events)
        for task, runs in learned.items():
            self._learn(connection, task, runs, now)
        return accepted

    @staticmethod
    def _ack_successes(
        connection: sqlite3.Connection, acks: Sequence[Ack], now: float
    ) -> dict[tuple[str, str], sqlite3.Row]:
        """Persist every success among `acks` in one statement (the common outcome by far);
        return the rows that landed, by job id and lease token."""
        successes = [
            {
                "id": ack.job_id,
                "token": ack.lease_token,
                "result": ack.outcome.result,
                "peak": ack.peak_memory,
            }
            for ack in acks
            if isinstance(ack.outcome, Succeeded)
        ]
        if not successes:
            return {}
        rows = connection.execute(
            _sql("ack_succeeded_many"), {"acks": json.dumps(successes), "now": now}
        ).fetchall()
        return {(row["id"], row["lease_token"]): row for row in rows}

    @staticmethod
    def _learn(
        connection: sqlite3.Connection,
        task: str,
        runs: list[tuple[int | None, float]],
        now: float,
    ) -> None:
        """Remember successful runs' peak memory and duration for their task."""
        row = connection.execute(_sql("task_stats"), {"task": task}).fetchone()
        peaks: list[int] = json.loads(row["peaks"]) if row else []
        durations: list[float] = json.loads(row["durations"]) if row else []
        for peak, duration in runs:
            if peak is not None:
                peaks = [int(p) for p in remember(peaks, peak)]
            durations = remember(durations, round(duration, 6))
        connection.execute(
            _sql("save_task_stats"),
            {
                "task": task,
                "peaks": json.dumps(peaks),
                "durations": json.dumps(durations),
                "learned_memory": learned_reservation(peaks),
                "now": now,
            },
        )

    def task_stats(self) -> list[TaskStats]:
        return [
            TaskStats(
                task=row["task"],
                peaks=tuple(json.loads(row["peaks"])),
                durations=tuple(json.loads(row["durations"])),
                learned_memory=row["learned_memory"],
            )
            for row in self._read(_sql("all_task_stats"))
        ]

    def head_need(
        self, queues: Sequence[str] | None, now: float, limits: Mapping[str, int] | None = None
    ) -> tuple[str, int | None] | None:
        """The first job in line for these queues and its memory need (None if unknown)."""
        rows = self._read(
            _sql("head_need"),
            {
                "limits": capacities_json(limits),
                "now": now,
                "overhead": RUNNER_OVERHEAD,
                "queues": None if queues is None else json.dumps(list(queues)),
            },
        )
        return (rows[0]["id"], rows[0]["need"]) if rows else None

    # -- housekeeping ------------------------------------------------------------------------

    def prune(
        self,
        state: JobState,
        before: float,
        *,
        keys_before: float | None = None,
        limit: int | None = None,
    ) -> int:
        if not state.is_terminal:
            raise InvalidTransitionError(f"only finished jobs can be pruned, not {state} ones")
        params = {
            "state": str(state),
            "before": before,
            "keys_before": before if keys_before is None else keys_before,
            "limit": -1 if limit is None else limit,
        }
        with self._write() as connection:
            rows = connection.execute(_sql("prune"), params).fetchall()
            ids = [row["id"] for row in rows]
            if ids:
                connection.execute(_sql("prune_events"), {"job_ids": json.dumps(ids)})
        return len(ids)

    def cancel(self, job_id: str, reason: str, now: float) -> JobRecord:
        with self._write() as connection:
            row = connection.execute(
                _sql("cancel_waiting"), {"job_id": job_id, "reason": reason, "now": now}
            ).fetchone()
            if row is not None:
                self._event(
                    connection,
                    job_id,
                    now,
                    "cancelled",
                    JobState.CANCELLED,
                    row["attempt"],
                    None,
                    None,
                    reason,
                )
            else:
                row = connection.execute(_sql("request_cancel"), {"job_id": job_id}).fetchone()
                if row is not None:
                    self._event(
                        connection,
                        job_id,
                        now,
                        "cancel_requested",
                        JobState.RUNNING,
                        row["attempt"],
                        row["lease_token"],
                        row["worker_id"],
                        reason,
                    )
        return self._require_job(job_id)

    def retry(self, job_id: str, now: float) -> JobRecord:
        with self._write() as connection:
            row = connection.execute(_sql("retry_job"), {"job_id": job_id, "now": now}).fetchone()
            if row is None:
                job = self._require_job(job_id)
                raise InvalidTransitionError(
                    f"job {job_id} is {job.state}; only failed or cancelled jobs can be retried"
                )
            self._event(connection, job_id, now, "retried", JobState.QUEUED, 0)
        self._notifier.notify()
        return self._require_job(job_id)

    def delete_job(self, job_id: str) -> JobRecord:
        with self._write() as connection:
            job = self.get_job(job_id)  # read on the same connection, inside the transaction
            if job is None:
                raise JobNotFoundError(f"no job has id {job_id!r}")
            if connection.execute(_sql("delete_job"), {"job_id": job_id}).fetchone() is None:
                raise InvalidTransitionError(
                    f"job {job_id} is running; cancel it first, then delete it once it stopped"
                )
            connection.execute(_sql("delete_job_events"), {"job_id": job_id})
        return job

    # -- copying (cargohold copy) ------------------------------------------------------------

    def export(self, page_size: int) -> Iterator[CopyPage]:
        return export_pages(
            lambda after, limit: copying.read_jobs(self._read, _job_record, after, limit),
            lambda job_ids: copying.read_events(self._read, job_ids),
            self.task_stats,
            page_size,
        )

    def import_page(self, page: CopyPage) -> int:
        written, ready = copying.import_page(self._write, page, self.now())
        if ready:
            self._notifier.notify()
        return written

    # -- reading -----------------------------------------------------------------------------

    def get_job(self, job_id: str) -> JobRecord | None:
        rows = self._read(_sql("get_job"), {"job_id": job_id, "overhead": RUNNER_OVERHEAD})
        return _job_record(rows[0]) if rows else None

    def _require_job(self, job_id: str) -> JobRecord:
        job = self.get_job(job_id)
        if job is None:
            raise JobNotFoundError(f"no job has id {job_id!r}")
        return job

    def find_jobs(self, query: JobFilter) -> list[JobRecord]:
        def as_json(values: tuple[str, ...]) -> str | None:
            return json.dumps([str(v) for v in values]) if values else None

        rows = self._read(
            _sql("find_jobs"),
            {
                "states": as_json(query.states),
                "queues": as_json(query.queues),
                "tasks": as_json(query.tasks),
                "ids": as_json(query.ids),
                "key": query.key,
                "created_after": query.created_after,
                "created_before": query.created_before,
                "newest_first": query.newest_first,
                "limit": query.limit,
                "offset": query.offset,
                "overhead": RUNNER_OVERHEAD,
            },
        )
        return [_job_record(row) for row in rows]

    def job_events(self, job_id: str) -> list[Event]:
        rows = self._read(_sql("job_events"), {"job_id": job_id})
        return [rowmaps.event(row) for row in rows]

    def count_jobs(self) -> dict[str, QueueCounts]:
        counts: dict[str, QueueCounts] = {}
        for row in self._read(_sql("count_jobs")):
            counts.setdefault(row["queue"], QueueCounts()).by_state[JobState(row["state"])] = row[
                "n"
            ]
        return counts

    def job_metrics(self) -> JobMetrics:
        bounds = metrics.bound_params()
        events = self._read(_sql("metrics_events"), {"kinds": json.dumps(metrics.COUNTED_EVENTS)})
        return JobMetrics(
            durations=metrics.histograms(self._read(_sql("metrics_durations"), bounds)),
            waits=metrics.histograms(self._read(_sql("metrics_waits"), bounds)),
            retries=metrics.event_counts(events, "retrying"),
            memory_kills=metrics.event_counts(events, "memory_killed"),
        )

    def wakeup(self) -> SocketWakeup:
        return SocketWakeup(wakeup_folder(self.path))


def _ack_statement(ack: Ack, now: float) -> tuple[str, JobState | None, dict[str, Any], str | None]:
    """(statement, resulting state or None if it depends on run_at, parameters, reason)."""
    outcome = ack.outcome
    match outcome:
        case Succeeded(result):
            return "ack_succeeded", JobState.SUCCEEDED, {"result": result, "now": now}, None
        case Retrying(run_at, error, traceback, crashed):
            params = {
                "run_at": run_at,
                "error": error,
                "traceback": traceback,
                "now": now,
                "crashed": int(crashed),
            }
            return "ack_retrying", None, params, error
        case Snoozed(run_at, reason):
            return "ack_snoozed", None, {"run_at": run_at, "now": now}, reason
        case Failed(error, traceback, crashed):
            params = {"error": error, "traceback": traceback, "now": now, "crashed": int(crashed)}
            return "ack_failed", JobState.FAILED, params, error
        case Cancelled(reason):
            return "ack_cancelled", JobState.CANCELLED, {"reason": reason, "now": now}, reason
        case HandedBack(reason):
            return "ack_handed_back", JobState.QUEUED, {}, reason
        case MemoryKilled(run_at, error, reservation):
            params = {"run_at": run_at, "error": error, "reservation": reservation, "now": now}
            return "ack_memory_killed", None, params, error
    raise TypeError(f"not an outcome: {outcome!r}")


def _job_record(row: sqlite3.Row) -> JobRecord:
    return JobRecord(
        id=row["id"],
        task=row["task"],
        queue=row["queue"],
        state=JobState(row["state"]),
        priority=row["priority"],
        args=row["args"],
        key=row["key"],
        attempt=row["attempt"],
        max_attempts=row["max_attempts"],
        crashes=row["crashes"],
        run_at=row["run_at"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        worker_id=row["worker_id"],
        lease_token=row["lease_token"],
        lease_expires_at=row["lease_expires_at"],
        timeout=row["timeout"],
        progress_current=row["progress_current"],
        progress_total=row["progress_total"],
        progress_message=row["progress_message"],
        result=row["result"],
        error=row["error"],
        traceback=row["traceback"],
        cancel_requested=bool(row["cancel_requested"]),
        memory=row["memory"],
        reservation=row["reservation"],
        peak_memory=row["peak_memory"],
        memory_kills=row["memory_kills"],
        need=row["need"],
        limits=refs_of(row["limits"]),
        rates=refs_of(row["rates"]),
        wait_timeout=row["wait_timeout"],
    )


def _claim(row: sqlite3.Row) -> Claim:
    return Claim(
        id=row["id"],
        task=row["task"],
        queue=row["queue"],
        args=row["args"],
        attempt=row["attempt"],
        max_attempts=row["max_attempts"],
        crashes=row["crashes"],
        memory_kills=row["memory_kills"],
        lease_token=row["lease_token"],
        timeout=row["timeout"],
        need=row["need"],
        limits=refs_of(row["limits"]),
        rates=refs_of(row["rates"]),
    )
