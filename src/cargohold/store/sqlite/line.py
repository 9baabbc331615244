"""The SQLite store's view of a queue's line: where a ready job stands, and what is ahead of
it. Both read the queue's partial index of ready jobs (`jobs_ready_by_queue`) in claim order,
never the whole queue."""

from __future__ import annotations

from cargohold.store.sqlite.connection import SQLiteConnection
from cargohold.store.sqlite.connection import sql as _sql


class SQLiteLine(SQLiteConnection):
    """Mixed into `SQLiteStore`."""

    def queue_position(self, job_id: str, now: float) -> int | None:
        rows = self._read(_sql("queue_position"), {"job_id": job_id, "now": now})
        return int(rows[0]["position"]) if rows else None

    def tasks_ahead(self, job_id: str, now: float, limit: int) -> dict[str, int]:
        if limit <= 0:
            return {}
        rows = self._read(_sql("tasks_ahead"), {"job_id": job_id, "now": now, "limit": limit})
        return {row["task"]: int(row["n"]) for row in rows}
