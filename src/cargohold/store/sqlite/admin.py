"""The SQLite store's admin verbs, the operator's (CLI, HTTP API, dashboard) and the app's:
cancel a job, retry a finished one, delete one, prune old finished jobs. Each is one
BEGIN IMMEDIATE transaction that records its event."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cargohold.errors import InvalidTransitionError, JobNotFoundError
from cargohold.records import JobRecord
from cargohold.states import JobState
from cargohold.store.sqlite.connection import SQLiteConnection
from cargohold.store.sqlite.connection import sql as _sql
from cargohold.store.sqlite.events import insert_event


class SQLiteAdmin(SQLiteConnection):
    """Mixed into `SQLiteStore`."""

    if TYPE_CHECKING:

        def get_job(self, job_id: str) -> JobRecord | None: ...

        def _require_job(self, job_id: str) -> JobRecord: ...

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
                insert_event(
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
                    insert_event(
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
            insert_event(connection, job_id, now, "retried", JobState.QUEUED, 0)
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
