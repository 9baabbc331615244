"""Listing jobs (the dashboard's job list, `cargohold jobs`) reads the id index in the page's
order and stops at the page: it never sorts every job first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cargohold.memory.admission import RUNNER_OVERHEAD
from cargohold.store.sqlfiles import statement
from cargohold.store.sqlite.store import SQLiteStore


@pytest.mark.parametrize("name", ["find_jobs", "find_jobs_oldest"])
def test_sqlite_lists_jobs_in_index_order_without_sorting(tmp_path: Path, name: str) -> None:
    store = SQLiteStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    store.close()
    params: dict[str, object] = dict.fromkeys(
        ("states", "queues", "tasks", "ids", "key", "created_after", "created_before")
    )
    params.update(limit=50, offset=0, overhead=RUNNER_OVERHEAD)
    with sqlite3.connect(tmp_path / "jobs.db") as connection:
        sql = statement("cargohold.store.sqlite", name)
        plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert "SCAN jobs USING INDEX sqlite_autoindex_jobs_1" in plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
