"""The PostgreSQL store, for workers on several hosts: claims with FOR UPDATE SKIP LOCKED,
wake-ups with LISTEN/NOTIFY, leases on the database clock. Every verb is one short transaction;
none stays open while a job runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cargohold.errors import InvalidTransitionError, JobNotFoundError, SchemaError
from cargohold.memory.admission import RUNNER_OVERHEAD, MemoryOffer
from cargohold.records import (
    Ack,
    Claim,
    Enqueued,
    Event,
    HeartbeatReply,
    JobFilter,
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
from cargohold.store.copying import CopyPage, export_pages
from cargohold.store.flow import capacities_json
from cargohold.store.postgres import copying, hotpath, producing, rows
from cargohold.store.postgres.database import PACKAGE, Database, Tx
from cargohold.store.postgres.flow import PostgresFlow
from cargohold.store.postgres.hotpath import ClaimRequest
from cargohold.store.postgres.wakeup import ListenWakeup
from cargohold.store.sqlfiles import migrations


class PostgresStore(PostgresFlow):
    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8) -> None:
        self._database = Database(url, min_size=min_size, max_size=max_size)
        self.url = self._database.shown_url
        self._joined = producing.JoinedTransactions(self._database)
        self.migrate()

    def now(self) -> float:
        return self._database.now()

    def close(self) -> None:
        self._database.close()

    def wakeup(self) -> ListenWakeup:
        return ListenWakeup(self._database.connect)

    # -- schema ------------------------------------------------------------------------------

    def migrate(self) -> int:
        known = migrations(PACKAGE)

        def work(tx: Tx) -> int:
            tx.rows("migrate_lock")  # concurrent migrate() calls take turns
            tx.run("migrate_table")
            done = {row["version"] for row in tx.rows("migrate_applied")}
            newest = max(version for version, _, _ in known)
            if done and max(done) > newest:
                raise SchemaError(
                    f"PostgreSQL store {self.url}: the schema is at version {max(done)}, newer "
                    f"than this cargohold knows ({newest}); upgrade cargohold"
                )
            applied = 0
            for version, name, script in known:
                if version not in done:
                    tx.script(script)
                    tx.run("migrate_record", {"version": version, "name": name})
                    applied += 1
            return applied

        return self._database.transaction(work, what="migrate")

    # -- producing ---------------------------------------------------------------------------

    def enqueue(self, jobs: Sequence[NewJob], now: float) -> list[Enqueued]:
        return self._database.transaction(
            lambda tx: producing.enqueue(tx, jobs, now),
            what="enqueue",
            one_write=producing.one_write(jobs),
        )

    def enqueue_in(self, connection: object, jobs: Sequence[NewJob], now: float) -> list[Enqueued]:
        """Write jobs with the caller's psycopg connection, in the caller's transaction."""
        return producing.enqueue(self._joined.tx(connection), jobs, now)

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
        request = ClaimRequest(worker_id, queues, limit, lease, now, memory, limits)
        return self._database.transaction(lambda tx: hotpath.claim(tx, request), what="claim")

    def ack(self, worker_id: str, acks: Sequence[Ack], now: float) -> list[bool]:
        return self._database.transaction(
            lambda tx: hotpath.ack(tx, worker_id, acks, now), what="ack"
        )

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
        request = ClaimRequest(worker_id, queues, limit, lease, now, memory, limits)

        def work(tx: Tx) -> tuple[list[bool], list[Claim]]:
            return hotpath.ack(tx, worker_id, acks, now), hotpath.claim(tx, request)

        return self._database.transaction(work, what="ack_and_claim")

    def heartbeat(
        self,
        worker_id: str,
        lease_tokens: Sequence[str],
        lease: float,
        now: float,
        memory: MemoryReport | None = None,
    ) -> HeartbeatReply:
        tokens = list(lease_tokens)

        def work(tx: Tx) -> HeartbeatReply:
            params = {"worker_id": worker_id, "tokens": tokens, "lease": lease, "now": now}
            held = tx.rows("heartbeat", params)
            tx.run("slot_extend", params)  # the slots of those jobs
            tx.run("touch_worker", _touch_params(worker_id, now, memory))
            return HeartbeatReply(
                held=frozenset(row["id"] for row in held),
                cancel_requested=frozenset(row["id"] for row in held if row["cancel_requested"]),
            )

        return self._database.transaction(work, what="heartbeat")

    def record_progress(self, updates: Sequence[ProgressUpdate]) -> list[bool]:
        def work(tx: Tx) -> list[bool]:
            return [
                tx.run(
                    "record_progress",
                    {
                        "job_id": update.job_id,
                        "lease_token": update.lease_token,
                        "current": update.current,
                        "total": update.total,
                        "message": update.message,
                    },
                )
                == 1
                for update in updates
            ]

        return self._database.transaction(work, what="record_progress")

    def rescue(self, rescuer: str, now: float) -> RescueReport:
        def work(tx: Tx) -> RescueReport:
            params = {"now": now, "rescuer": rescuer}
            tx.rows("rescue_cancelled", params)  # their cancel was asked for: finish it
            failed = tx.rows("rescue_exhausted", params)
            requeued = tx.rows("rescue_requeue", params)
            promoted = tx.rows("promote_scheduled", params)
            expired = tx.rows("expire_waiting", params)
            tx.run("slot_forget_expired", params)
            tx.run("rate_forget_expired", params)
            tx.notify([row["queue"] for row in requeued + promoted])
            return RescueReport(
                requeued=tuple(row["id"] for row in requeued),
                failed=tuple(row["id"] for row in failed),
                expired=tuple(row["id"] for row in expired),
            )

        return self._database.transaction(work, what="rescue")

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
            "limit": limit,
        }

        def work(tx: Tx) -> int:
            row = tx.one("prune", params)
            assert row is not None
            return int(row["n"])

        return self._database.transaction(work, what="prune")

    def cancel(self, job_id: str, reason: str, now: float) -> JobRecord:
        def work(tx: Tx) -> JobRecord:
            params = {"job_id": job_id, "reason": reason, "now": now}
            if tx.one("cancel_waiting", params) is None:
                tx.one("request_cancel", params)
            return _require_job(tx, job_id)

        return self._database.transaction(work, what="cancel")

    def retry(self, job_id: str, now: float) -> JobRecord:
        def work(tx: Tx) -> JobRecord:
            row = tx.one("retry_job", {"job_id": job_id, "now": now})
            job = _require_job(tx, job_id)
            if row is None:
                raise InvalidTransitionError(
                    f"job {job_id} is {job.state}; only failed or cancelled jobs can be retried"
                )
            tx.notify([row["queue"]])
            return job

        return self._database.transaction(work, what="retry", idempotent=False)

    def register_worker(self, info: WorkerInfo) -> None:
        params = {
            "id": info.id,
            "hostname": info.hostname,
            "pid": info.pid,
            "queues": None if info.queues is None else list(info.queues),
            "concurrency": info.concurrency,
            "now": info.started_at,
            "memory_budget": info.memory_budget,
            "memory_free": info.memory_free,
        }
        self._database.transaction(
            lambda tx: tx.run("register_worker", params), what="register_worker"
        )

    def touch_worker(self, worker_id: str, now: float, memory: MemoryReport | None = None) -> None:
        params = _touch_params(worker_id, now, memory)
        self._database.transaction(lambda tx: tx.run("touch_worker", params), what="touch_worker")

    def unregister_worker(self, worker_id: str) -> None:
        params = {"id": worker_id}
        self._database.transaction(
            lambda tx: tx.run("unregister_worker", params), what="unregister_worker"
        )

    def forget_stale_workers(self, before: float) -> int:
        params = {"before": before}
        return self._database.transaction(
            lambda tx: tx.run("forget_stale_workers", params), what="forget_stale_workers"
        )

    # -- copying (cargohold copy) ------------------------------------------------------------

    def export(self, page_size: int) -> Iterator[CopyPage]:
        transaction = self._database.transaction
        return export_pages(
            lambda after, limit: transaction(
                lambda tx: copying.read_jobs(tx, after, limit), what="export"
            ),
            lambda job_ids: transaction(lambda tx: copying.read_events(tx, job_ids), what="export"),
            self.task_stats,
            page_size,
        )

    def import_page(self, page: CopyPage) -> int:
        now = self.now()
        return self._database.transaction(
            lambda tx: copying.import_page(tx, page, now), what="import_page"
        )

    # -- reading -----------------------------------------------------------------------------

    def _read(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._database.transaction(lambda tx: tx.rows(name, params), what=name)

    def get_job(self, job_id: str) -> JobRecord | None:
        found = self._read("get_job", {"job_id": job_id, "overhead": RUNNER_OVERHEAD})
        return rows.job_record(found[0]) if found else None

    def find_jobs(self, query: JobFilter) -> list[JobRecord]:
        def listed(values: tuple[str, ...]) -> list[str] | None:
            return [str(value) for value in values] if values else None

        found = self._read(
            "find_jobs",
            {
                "states": listed(query.states),
                "queues": listed(query.queues),
                "tasks": listed(query.tasks),
                "ids": listed(query.ids),
                "key": query.key,
                "created_after": query.created_after,
                "created_before": query.created_before,
                "newest_first": query.newest_first,
                "limit": query.limit,
                "offset": query.offset,
                "overhead": RUNNER_OVERHEAD,
            },
        )
        return [rows.job_record(row) for row in found]

    def job_events(self, job_id: str) -> list[Event]:
        return [rows.event(row) for row in self._read("job_events", {"job_id": job_id})]

    def count_jobs(self) -> dict[str, QueueCounts]:
        counts: dict[str, QueueCounts] = {}
        for row in self._read("count_jobs"):
            counts.setdefault(row["queue"], QueueCounts()).by_state[JobState(row["state"])] = row[
                "n"
            ]
        return counts

    def list_workers(self) -> list[WorkerInfo]:
        return [rows.worker(row) for row in self._read("list_workers")]

    def task_stats(self) -> list[TaskStats]:
        return [rows.task_stats(row) for row in self._read("all_task_stats")]

    def head_need(
        self, queues: Sequence[str] | None, now: float, limits: Mapping[str, int] | None = None
    ) -> tuple[str, int | None] | None:
        """The first job in line for these queues and its memory need (None if unknown)."""
        params = {
            "limits": capacities_json(limits),
            "queues": None if queues is None else list(queues),
            "now": now,
            "overhead": RUNNER_OVERHEAD,
        }
        found = self._read("head_need", params)
        return (found[0]["id"], found[0]["need"]) if found else None


def _touch_params(worker_id: str, now: float, memory: MemoryReport | None) -> dict[str, Any]:
    return {
        "id": worker_id,
        "now": now,
        "memory_budget": None if memory is None else memory.budget,
        "memory_free": None if memory is None else memory.free,
    }


def _require_job(tx: Tx, job_id: str) -> JobRecord:
    row = tx.one("get_job", {"job_id": job_id, "overhead": RUNNER_OVERHEAD})
    if row is None:
        raise JobNotFoundError(f"no job has id {job_id!r}")
    return rows.job_record(row)
