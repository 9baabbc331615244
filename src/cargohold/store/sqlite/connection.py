"""The SQLite store's connections: one per thread (and per process after a fork), WAL mode,
and write transactions that begin IMMEDIATE, so writers queue on the busy timeout instead of
failing half-way."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cargohold.errors import ConfigurationError
from cargohold.store.sqlfiles import statement
from cargohold.store.sqlite.wakeup import Notifier

PACKAGE = "cargohold.store.sqlite"


def sql(name: str) -> str:
    """The statement in this store's sql/<name>.sql."""
    return statement(PACKAGE, name)


_BUSY_TIMEOUT_MS = 5000
_LOCKED_RETRY_FOR = 60.0
"""Seconds a write keeps retrying on 'database is locked' before the error reaches a caller."""


def database_path(url: str) -> Path:
    """`sqlite:///relative/file.db` and `sqlite:////absolute/file.db` both name a file."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ConfigurationError(
            f"SQLite store URL {url!r} must look like sqlite:///cargohold.db (relative path) "
            "or sqlite:////var/lib/app/cargohold.db (absolute path)"
        )
    path = url[len(prefix) :]
    if path == ":memory:" or path.startswith("file:"):
        raise ConfigurationError(
            f"SQLite store URL {url!r}: an in-memory database cannot be shared with worker "
            "processes; name a file"
        )
    return Path(path).expanduser().resolve()


class SQLiteConnection:
    """The base of `SQLiteStore`: its file, and the transactions every verb runs in."""

    url: str
    path: Path
    _synchronous: str
    _local: threading.local
    _notifier: Notifier

    def _create_private_file(self) -> None:
        if not self.path.parent.is_dir():
            raise ConfigurationError(
                f"SQLite store {self.url!r}: folder {self.path.parent} does not exist"
            )
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection; a forked child opens its own instead of sharing one."""
        local = self._local
        connection: sqlite3.Connection | None = getattr(local, "connection", None)
        if connection is None or local.pid != os.getpid():
            connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=5.0
            )
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            # Switching a new file to WAL takes an exclusive lock and does not wait on the
            # busy timeout: processes opening the same new file at once must retry.
            _retry_while_locked(lambda: connection.execute("PRAGMA journal_mode = WAL"))
            connection.execute(f"PRAGMA synchronous = {self._synchronous}")
            local.connection, local.pid = connection, os.getpid()
        return connection

    @contextmanager
    def _write(self, *, synced: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction. With `synced=False` its commit does not wait for the disk
        (the next synced commit carries it there): for writes whose loss in a power cut is
        harmless, such as a claim, which the job's next claim repeats."""
        connection = self._connection()
        relaxed = not synced and self._synchronous != "NORMAL"
        if relaxed:
            connection.execute("PRAGMA synchronous = NORMAL")
        try:
            self._begin_immediate(connection)
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            if relaxed:
                connection.execute(f"PRAGMA synchronous = {self._synchronous}")

    @staticmethod
    def _begin_immediate(connection: sqlite3.Connection) -> None:
        _retry_while_locked(lambda: connection.execute("BEGIN IMMEDIATE"))

    def _read(self, sql: str, params: dict[str, Any] | None = None) -> list[sqlite3.Row]:
        return self._connection().execute(sql, params or {}).fetchall()

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            connection.close()
        self._local = threading.local()
        self._notifier.close()

    def now(self) -> float:
        return time.time()


def _retry_while_locked(operation: Callable[[], object]) -> None:
    """Run `operation`, retrying with backoff while the database is locked, so that lock
    contention never reaches a caller as an error (unless it lasts a minute)."""
    deadline = time.monotonic() + _LOCKED_RETRY_FOR
    delay = 0.001
    while True:
        try:
            operation()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
