"""The workers registry on PostgreSQL: each worker's row, written when it starts, touched by
its heartbeats (with the memory it has free), removed when it stops or is found stale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargohold.records import MemoryReport, WorkerInfo
from cargohold.store.postgres import rows

if TYPE_CHECKING:
    from cargohold.store.postgres.database import Database


class PostgresWorkers:
    """Mixed into `PostgresStore`."""

    if TYPE_CHECKING:
        _database: Database

        def _read(
            self, name: str, params: dict[str, Any] | None = None
        ) -> list[dict[str, Any]]: ...

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
        params = touch_params(worker_id, now, memory)
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

    def list_workers(self) -> list[WorkerInfo]:
        return [rows.worker(row) for row in self._read("list_workers")]


def touch_params(worker_id: str, now: float, memory: MemoryReport | None) -> dict[str, Any]:
    return {
        "id": worker_id,
        "now": now,
        "memory_budget": None if memory is None else memory.budget,
        "memory_free": None if memory is None else memory.free,
    }
