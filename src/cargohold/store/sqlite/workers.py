"""The workers registry on SQLite: each worker's row, written when it starts, touched by its
heartbeats (with the memory it has free), removed when it stops or is found stale."""

from __future__ import annotations

import json
from typing import Any

from cargohold.records import MemoryReport, WorkerInfo
from cargohold.store.sqlite.connection import SQLiteConnection
from cargohold.store.sqlite.connection import sql as _sql


class SQLiteWorkers(SQLiteConnection):
    """Mixed into `SQLiteStore`."""

    def register_worker(self, info: WorkerInfo) -> None:
        with self._write() as connection:
            connection.execute(
                _sql("register_worker"),
                {
                    "id": info.id,
                    "hostname": info.hostname,
                    "pid": info.pid,
                    "queues": None if info.queues is None else json.dumps(list(info.queues)),
                    "concurrency": info.concurrency,
                    "now": info.started_at,
                    "memory_budget": info.memory_budget,
                    "memory_free": info.memory_free,
                },
            )

    def touch_worker(self, worker_id: str, now: float, memory: MemoryReport | None = None) -> None:
        with self._write() as connection:
            connection.execute(_sql("touch_worker"), touch_params(worker_id, now, memory))

    def unregister_worker(self, worker_id: str) -> None:
        with self._write() as connection:
            connection.execute(_sql("unregister_worker"), {"id": worker_id})
            connection.execute(_sql("offer_forget"), {"id": worker_id})

    def forget_stale_workers(self, before: float) -> int:
        with self._write() as connection:
            return connection.execute(_sql("forget_stale_workers"), {"before": before}).rowcount

    def list_workers(self) -> list[WorkerInfo]:
        return [
            WorkerInfo(
                id=row["id"],
                hostname=row["hostname"],
                pid=row["pid"],
                queues=None if row["queues"] is None else tuple(json.loads(row["queues"])),
                concurrency=row["concurrency"],
                started_at=row["started_at"],
                last_seen=row["last_seen"],
                memory_budget=row["memory_budget"],
                memory_free=row["memory_free"],
            )
            for row in self._read(_sql("list_workers"))
        ]


def touch_params(worker_id: str, now: float, memory: MemoryReport | None) -> dict[str, Any]:
    return {
        "id": worker_id,
        "now": now,
        "memory_budget": None if memory is None else memory.budget,
        "memory_free": None if memory is None else memory.free,
    }
