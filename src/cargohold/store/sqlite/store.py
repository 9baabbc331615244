"""The embedded default store: one SQLite file in WAL mode, shared by any number of processes
on one host. Every write transaction is BEGIN IMMEDIATE, so writers queue on the busy timeout
instead of failing half-way.

`SQLiteStore` opens the file and migrates its schema. Its verbs live in one module per
concept, each a class mixed into it:

- `connection`: the file, connections, read and write transactions
- `events`: the event each change of a job records
- `producing`: enqueue, in the store's transaction or the caller's
- `hotpath`: the worker's claim and ack
- `leases`: heartbeats, progress, rescue of jobs whose lease expired
- `admin`: cancel, retry, delete, prune
- `reading`: one job, a page of jobs, events, counts, metrics, task stats
- `workers`: the workers registry
- `flow`: concurrency limits, rates, queue depth, pause and resume
- `line`: a waiting job's position and what is ahead of it
- `offers`: an idle worker's standing offer, taken by a producer's job
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator

from cargohold.errors import ConfigurationError
from cargohold.store.copying import CopyPage, export_pages
from cargohold.store.sqlfiles import migrations, split_statements
from cargohold.store.sqlite import copying
from cargohold.store.sqlite.admin import SQLiteAdmin
from cargohold.store.sqlite.connection import PACKAGE, database_path
from cargohold.store.sqlite.flow import SQLiteFlow
from cargohold.store.sqlite.hotpath import SQLiteHotPath
from cargohold.store.sqlite.leases import SQLiteLeases
from cargohold.store.sqlite.line import SQLiteLine
from cargohold.store.sqlite.offers import SQLiteOffers
from cargohold.store.sqlite.producing import SQLiteProducing
from cargohold.store.sqlite.reading import SQLiteReading
from cargohold.store.sqlite.wakeup import Notifier, SocketWakeup, wakeup_folder
from cargohold.store.sqlite.workers import SQLiteWorkers


class SQLiteStore(
    SQLiteProducing,
    SQLiteHotPath,
    SQLiteLeases,
    SQLiteAdmin,
    SQLiteReading,
    SQLiteWorkers,
    SQLiteFlow,
    SQLiteLine,
    SQLiteOffers,
):
    concurrent_writes = False
    """One writer at a time: a second transaction would only wait for the file's lock."""

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
            for version, name, script in migrations(PACKAGE):
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
        return all(version in done for version, _, _ in migrations(PACKAGE))

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

    def wakeup(self, worker_id: str | None = None) -> SocketWakeup:
        return SocketWakeup(wakeup_folder(self.path), worker_id)
