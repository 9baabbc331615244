"""The PostgreSQL store's admin verbs, the operator's (CLI, HTTP API, dashboard) and the
app's: cancel a job, retry a finished one, delete one, prune old finished jobs. Each is one
transaction; the statements record their own events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargohold.errors import InvalidTransitionError, JobNotFoundError
from cargohold.memory.admission import RUNNER_OVERHEAD
from cargohold.records import JobRecord
from cargohold.states import JobState
from cargohold.store import rowmaps
from cargohold.store.postgres.database import Tx

if TYPE_CHECKING:
    from cargohold.store.postgres.database import Database


class PostgresAdmin:
    """Mixed into `PostgresStore`."""

    if TYPE_CHECKING:
        _database: Database

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

    def delete_job(self, job_id: str) -> JobRecord:
        def work(tx: Tx) -> JobRecord:
            job = _require_job(tx, job_id)
            if tx.one("delete_job", {"job_id": job_id}) is None:
                raise InvalidTransitionError(
                    f"job {job_id} is running; cancel it first, then delete it once it stopped"
                )
            return job

        return self._database.transaction(work, what="delete_job", idempotent=False)


def _require_job(tx: Tx, job_id: str) -> JobRecord:
    row = tx.one("get_job", {"job_id": job_id, "overhead": RUNNER_OVERHEAD})
    if row is None:
        raise JobNotFoundError(f"no job has id {job_id!r}")
    return rowmaps.job(row)
