"""Regression: the first transactional enqueue of a process whose app had not opened its
SQLite store yet waited a minute and failed with "database is locked": opening the store ran
its migrations in a write transaction, behind the caller's own open write transaction."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from cargohold import App
from cargohold.store.sqlite.store import SQLiteStore


def test_a_migrated_store_opens_inside_the_callers_write_transaction(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    SQLiteStore(f"sqlite:///{path}").close()  # deployed: the worker migrated it
    app = App(f"sqlite:///{path}")

    @app.task
    def fulfil(order_id: str) -> str:
        return order_id

    connection = sqlite3.connect(path, isolation_level="IMMEDIATE", timeout=1)
    connection.execute("CREATE TABLE orders (id TEXT)")
    connection.execute("INSERT INTO orders VALUES ('o1')")  # holds the write lock
    started = time.monotonic()
    job = fulfil.enqueue("o1", connection=connection)  # the store opens only now
    connection.commit()
    assert time.monotonic() - started < 1.0
    assert job.refresh().state == "queued"
    app.close()
    connection.close()
