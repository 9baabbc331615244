"""Leases on SQLite: a worker's heartbeat extends the leases of the jobs it runs (and hears of
cancel requests), progress is recorded under the lease, and a rescue finds the jobs whose
lease expired (their worker died) and queues them again, fails or cancels them."""

from __future__ import annotations

import json
from collections.abc import Sequence

from cargohold.records import HeartbeatReply, MemoryReport, ProgressUpdate, RescueReport
from cargohold.states import JobState
from cargohold.store.sqlite.connection import SQLiteConnection
from cargohold.store.sqlite.connection import sql as _sql
from cargohold.store.sqlite.events import insert_event
from cargohold.store.sqlite.workers import touch_params as _touch_params


class SQLiteLeases(SQLiteConnection):
    """Mixed into `SQLiteStore`."""

    def heartbeat(
        self,
        worker_id: str,
        lease_tokens: Sequence[str],
        lease: float,
        now: float,
        memory: MemoryReport | None = None,
    ) -> HeartbeatReply:
        params = {
            "worker_id": worker_id,
            "lease": lease,
            "now": now,
            "tokens": json.dumps(list(lease_tokens)),
        }
        with self._write() as connection:
            rows = connection.execute(_sql("heartbeat"), params).fetchall()
            connection.execute(_sql("slot_extend"), params)  # the slots of those jobs
            connection.execute(_sql("touch_worker"), _touch_params(worker_id, now, memory))
        return HeartbeatReply(
            held=frozenset(row["id"] for row in rows),
            cancel_requested=frozenset(row["id"] for row in rows if row["cancel_requested"]),
        )

    def record_progress(self, updates: Sequence[ProgressUpdate]) -> list[bool]:
        results = []
        with self._write() as connection:
            for update in updates:
                cursor = connection.execute(
                    _sql("record_progress"),
                    {
                        "job_id": update.job_id,
                        "lease_token": update.lease_token,
                        "current": update.current,
                        "total": update.total,
                        "message": update.message,
                    },
                )
                results.append(cursor.rowcount == 1)
        return results

    def rescue(self, rescuer: str, now: float) -> RescueReport:
        with self._write() as connection:
            cancelled = connection.execute(_sql("rescue_cancelled"), {"now": now}).fetchall()
            failed = connection.execute(_sql("rescue_exhausted"), {"now": now}).fetchall()
            requeued = connection.execute(
                _sql("rescue_requeue"), {"now": now, "rescuer": rescuer}
            ).fetchall()
            for rows, kind, state in (
                (cancelled, "cancelled", JobState.CANCELLED),
                (failed, "failed", JobState.FAILED),
                (requeued, "rescued", JobState.QUEUED),
            ):
                for row in rows:
                    insert_event(
                        connection,
                        row["id"],
                        now,
                        kind,
                        state,
                        row["attempt"],
                        row["lease_token"],
                        rescuer,
                        "lease expired",
                    )
            promoted = connection.execute(_sql("promote_scheduled"), {"now": now}).rowcount
            expired = connection.execute(_sql("expire_waiting"), {"now": now}).fetchall()
            for row in expired:
                insert_event(
                    connection,
                    row["id"],
                    now,
                    "expired",
                    JobState.CANCELLED,
                    row["attempt"],
                    None,
                    rescuer,
                    row["error"],
                )
            connection.execute(_sql("slot_forget_expired"), {"now": now})
            connection.execute(_sql("rate_forget_expired"), {"now": now})
            connection.execute(_sql("offers_lapsed"), {"now": now})
        if requeued or promoted:
            self._notifier.notify()
        return RescueReport(
            requeued=tuple(row["id"] for row in requeued),
            failed=tuple(row["id"] for row in failed),
            expired=tuple(row["id"] for row in expired),
        )
