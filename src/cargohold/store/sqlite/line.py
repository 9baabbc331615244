"""The SQLite store's view of a queue's line: where a ready job stands, and what is ahead of
it. Both read the queue's partial index of ready jobs (`jobs_ready_by_queue`) in claim order,
never the whole queue."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from cargohold.store.sqlfiles import statement

_PACKAGE = "cargohold.store.sqlite"


def _sql(name: str) -> str:
    return statement(_PACKAGE, name)


class SQLiteLine:
    """Mixed into `SQLiteStore`."""

    if TYPE_CHECKING:

        def _read(self, sql: str, params: dict[str, Any] | None = None) -> list[sqlite3.Row]: ...

    def queue_position(self, job_id: str, now: float) -> int | None:
        rows = self._read(_sql("queue_position"), {"job_id": job_id, "now": now})
        return int(rows[0]["position"]) if rows else None

    def tasks_ahead(self, job_id: str, now: float, limit: int) -> dict[str, int]:
        if limit <= 0:
            return {}
        rows = self._read(_sql("tasks_ahead"), {"job_id": job_id, "now": now, "limit": limit})
        return {row["task"]: int(row["n"]) for row in rows}
