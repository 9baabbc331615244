"""The PostgreSQL store's view of a queue's line: where a ready job stands, and what is ahead
of it. Both read the queue's partial index of ready jobs (`jobs_ready_by_queue`) in claim
order, never the whole queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargohold.store.postgres.database import Tx

if TYPE_CHECKING:
    from cargohold.store.postgres.database import Database


class PostgresLine:
    """Mixed into `PostgresStore`."""

    if TYPE_CHECKING:
        _database: Database

    def queue_position(self, job_id: str, now: float) -> int | None:
        params = {"job_id": job_id, "now": now}

        def work(tx: Tx) -> int | None:
            row = tx.one("queue_position", params)
            return None if row is None else int(row["position"])

        return self._database.transaction(work, what="queue_position")

    def tasks_ahead(self, job_id: str, now: float, limit: int) -> dict[str, int]:
        if limit <= 0:
            return {}
        params = {"job_id": job_id, "now": now, "limit": limit}

        def work(tx: Tx) -> dict[str, int]:
            return {row["task"]: int(row["n"]) for row in tx.rows("tasks_ahead", params)}

        return self._database.transaction(work, what="tasks_ahead")
