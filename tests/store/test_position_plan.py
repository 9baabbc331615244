"""A job's queue position is counted on the queue's index of ready jobs, and what is ahead of
it is read from that index in claim order: checked with each database's own planner on 50,000
queued jobs (and as many finished ones)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cargohold.store.sqlfiles import statement
from cargohold.store.sqlite.store import SQLiteStore
from tests.store.test_claim_plan import _COLUMNS, _ROWS, NOW, _nodes

QUEUED = 50_000
FINISHED = 50_000
POSITION = 10
SAMPLE = 5
VERBS = ["queue_position", "tasks_ahead"]


def _tenth_of_q1(execute: Any) -> str:
    """The id of the job tenth in line in queue q1, found by sorting the queue here."""
    rows = execute(
        "SELECT id FROM jobs WHERE queue = 'q1' AND state = 'queued' "
        f"ORDER BY priority DESC, run_at, id LIMIT 1 OFFSET {POSITION - 1}"
    ).fetchall()
    return str(rows[0][0])


# -- SQLite: EXPLAIN QUERY PLAN ----------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("position") / "position.db"
    SQLiteStore(f"sqlite:///{path}").close()
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(
            f"INSERT INTO {_COLUMNS} WITH RECURSIVE numbers(n) AS "
            f"(SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < {QUEUED + FINISHED}) "
            + _ROWS.format(queued=QUEUED, now=NOW)
        )
        connection.execute("ANALYZE")
    connection.close()
    return path


def _sqlite_params(path: Path) -> dict[str, Any]:
    connection = sqlite3.connect(path)
    try:
        return {"job_id": _tenth_of_q1(connection.execute), "now": NOW, "limit": SAMPLE}
    finally:
        connection.close()


@pytest.mark.parametrize("name", VERBS)
def test_sqlite_position_searches_the_queues_ready_index(sqlite_file: Path, name: str) -> None:
    connection = sqlite3.connect(sqlite_file)
    try:
        sql = statement("cargohold.store.sqlite", name)
        plan = [
            row[3].split()
            for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", _sqlite_params(sqlite_file))
        ]
    finally:
        connection.close()
    on_others = [words for words in plan if words[:2] == ["SEARCH", "a"]]
    assert on_others and all(words[4] == "jobs_ready_by_queue" for words in on_others), plan
    assert not any(words[0] == "SCAN" and words[1] in ("jobs", "a", "j") for words in plan), plan


@pytest.mark.parametrize("name", VERBS)
def test_sqlite_position_reads_the_jobs_ahead_not_the_queue(sqlite_file: Path, name: str) -> None:
    """Counted in SQLite virtual-machine steps: placing the tenth job of a queue of 10,000
    costs far less than one step per job of the queue."""
    connection = sqlite3.connect(sqlite_file)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    try:
        connection.set_progress_handler(count, 100)
        sql = statement("cargohold.store.sqlite", name)
        rows = connection.execute(sql, _sqlite_params(sqlite_file)).fetchall()
    finally:
        connection.close()
    if name == "queue_position":
        assert rows[0][0] == POSITION
    else:
        assert sum(row[1] for row in rows) == SAMPLE
    assert steps * 100 < QUEUED // 5 // 10, f"{name}: {steps * 100} VM steps"


def test_sqlite_store_gives_the_same_position(sqlite_file: Path) -> None:
    store = SQLiteStore(f"sqlite:///{sqlite_file}")
    try:
        params = _sqlite_params(sqlite_file)
        assert store.queue_position(params["job_id"], NOW) == POSITION
        assert sum(store.tasks_ahead(params["job_id"], NOW, 100).values()) == POSITION - 1
    finally:
        store.close()


# -- PostgreSQL: EXPLAIN ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_position_url(postgres_databases: Any, postgres_template: str) -> Iterator[str]:
    import psycopg

    name = postgres_databases.create("position", template=postgres_template)
    url: str = postgres_databases.url(name)
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            rows = _ROWS.replace("printf('%026d', n)", "lpad(n::text, 26, '0')").replace(
                "FROM numbers", f"FROM generate_series(1, {QUEUED + FINISHED}) AS n"
            )
            connection.execute(f"INSERT INTO {_COLUMNS} " + rows.format(queued=QUEUED, now=NOW))
            connection.execute("ANALYZE jobs")
        yield url
    finally:
        postgres_databases.drop(name)


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
@pytest.mark.parametrize("name", VERBS)
def test_postgres_position_uses_the_queues_ready_index(
    postgres_position_url: str, name: str, plan_cache_mode: str
) -> None:
    import psycopg

    sql = statement("cargohold.store.postgres", name)
    with psycopg.connect(postgres_position_url, autocommit=True) as connection:
        params = {"job_id": _tenth_of_q1(connection.execute), "now": NOW, "limit": SAMPLE}
        connection.execute(f"SET plan_cache_mode = {plan_cache_mode}")
        [(measured,)] = connection.execute(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params, prepare=True
        ).fetchall()
    nodes = _nodes(measured[0]["Plan"])
    # Then: the jobs of the queue are found through its index of ready jobs, never by
    # reading the table...
    on_index = [n for n in nodes if n.get("Index Name") == "jobs_ready_by_queue"]
    assert on_index, nodes
    assert not any(n["Node Type"] == "Seq Scan" for n in nodes), nodes
    # ...and only the jobs ahead are read: nine of them, or the five of the sample.
    assert all(n["Actual Rows"] <= POSITION - 1 for n in on_index), on_index
