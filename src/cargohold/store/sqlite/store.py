"""The embedded default store: one SQLite file in WAL mode, shared by any number of processes
on one host. Every write transaction is BEGIN IMMEDIATE, so writers queue on the busy timeout
instead of failing half-way."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator

from cargohold.errors import (
    ConfigurationError,
    JobNotFoundError,
)
from cargohold.memory.admission import (
    RUNNER_OVERHEAD,
)
from cargohold.records import (
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
from cargohold.store.sqlfiles import migrations, split_statements, statement
from cargohold.store.sqlite import copying
from cargohold.store.sqlite.admin import SQLiteAdmin
from cargohold.store.sqlite.connection import SQLiteConnection, database_path
from cargohold.store.sqlite.events import SQLiteEvents
from cargohold.store.sqlite.flow import SQLiteFlow
from cargohold.store.sqlite.hotpath import SQLiteHotPath
from cargohold.store.sqlite.leases import SQLiteLeases
from cargohold.store.sqlite.line import SQLiteLine
from cargohold.store.sqlite.producing import SQLiteProducing
from cargohold.store.sqlite.wakeup import Notifier, SocketWakeup, wakeup_folder
from cargohold.store.sqlite.workers import SQLiteWorkers

_PACKAGE = "cargohold.store.sqlite"


def _sql(name: str) -> str:
    return statement(_PACKAGE, name)


class SQLiteStore(
    SQLiteConnection,
    SQLiteEvents,
    SQLiteProducing,
    SQLiteHotPath,
    SQLiteLeases,
    SQLiteAdmin,
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

    # -- copying (cargohold copy) ------------------------------------------------------------

    def export(self, page_size: int) -> Iterator[CopyPage]:
        return export_pages(
            lambda after, limit: copying.read_jobs(self._read, after, limit),
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
        return rowmaps.job(rows[0]) if rows else None

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
        return [rowmaps.job(row) for row in rows]

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
