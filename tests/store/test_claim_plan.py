"""The claim reads its partial index of ready jobs, never the whole table: checked with the
database's own planner on 100,000 queued jobs (and as many finished ones), for every store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cargohold.memory.admission import RUNNER_OVERHEAD
from cargohold.outcome import (
    Cancelled,
    Failed,
    HandedBack,
    MemoryKilled,
    Outcome,
    Retrying,
    Snoozed,
    Succeeded,
)
from cargohold.records import Ack
from cargohold.store.fitting import CLAIM_HORIZON
from cargohold.store.sqlfiles import statement
from cargohold.store.sqlite.store import SQLiteStore

QUEUED = 100_000
FINISHED = 100_000
NOW = 1_800_000_000.0
READY_INDEXES = {"jobs_ready", "jobs_ready_by_queue"}
CLAIMS = ["claim", "claim_from_queues", "claim_fitting"]
REMOVED = ("Rows Removed by Filter", "Rows Removed by Join Filter")
SEARCH_JOBS = ["SEARCH", "jobs", "USING", "INDEX"]
SEARCH_J = ["SEARCH", "j", "USING", "INDEX"]
ACK_KINDS: dict[str, Outcome] = {
    "succeeded": Succeeded("1"),
    "retrying": Retrying(NOW + 1, "e", "tb"),
    "snoozed": Snoozed(NOW + 1, "r"),
    "failed": Failed("e", "tb"),
    "cancelled": Cancelled("r"),
    "handed_back": HandedBack("r"),
    "memory_killed": MemoryKilled(NOW + 1, "e", 1),
}

# Given: QUEUED ready jobs over 5 queues and 3 priorities, FINISHED succeeded ones.
_ROWS = """
SELECT printf('%026d', n), 'task' || (n % 7), 'q' || (n % 5),
       CASE WHEN n <= {queued} THEN 'queued' ELSE 'succeeded' END,
       n % 3, '{{"args":[],"kwargs":{{}}}}', {now} - n, {now} - n
FROM numbers
"""
_COLUMNS = "jobs (id, task, queue, state, priority, args, run_at, created_at)"


def _params() -> dict[str, Any]:
    return {
        "worker_id": "host:1:aaaaaa",
        "limit": 4,
        "lease": 30.0,
        "now": NOW,
        "overhead": RUNNER_OVERHEAD,
        "free": 512 * 1024 * 1024,
        "unknown_need": 512 * 1024 * 1024,
        "batch": "0123abcd",
        "limits": "[]",
        "horizon": CLAIM_HORIZON,
    }


# -- SQLite: EXPLAIN QUERY PLAN ----------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "plan.db"
    SQLiteStore(f"sqlite:///{path}").close()
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(
            f"INSERT INTO {_COLUMNS} WITH RECURSIVE numbers(n) AS "
            f"(SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < {QUEUED + FINISHED}) "
            + _ROWS.format(queued=QUEUED, now=NOW)
        )
        connection.execute(  # a queue of a few jobs, last in line behind all the others
            f"INSERT INTO {_COLUMNS} SELECT 'rare' || n, 't', 'rare', 'queued', -1, '{{}}', "
            f"{NOW} - n, {NOW} - n FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3)"
        )
        connection.execute("ANALYZE")
    connection.close()
    return path


def _sqlite_plan(path: Path, name: str) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        params = {**_params(), "queues": json.dumps(["q1", "q3"])}
        sql = statement("cargohold.store.sqlite", name)
        return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    finally:
        connection.close()


@pytest.mark.parametrize("name", CLAIMS)
def test_sqlite_claim_uses_the_ready_index(sqlite_file: Path, name: str) -> None:
    plan = [step.split() for step in _sqlite_plan(sqlite_file, name)]
    searches = [words[4] for words in plan if words[:4] in (SEARCH_JOBS, SEARCH_J)]
    assert READY_INDEXES & set(searches), plan
    assert not any(words[:2] in (["SCAN", "jobs"], ["SCAN", "j"]) for words in plan), plan
    if name != "claim_from_queues":  # see the next test
        assert not any("TEMP" in words for words in plan), plan


def test_sqlite_claim_from_queues_sorts_only_the_heads_of_its_queues(sqlite_file: Path) -> None:
    """Each named queue is read in claim order from its index, `limit` rows at most; only
    those few rows are sorted together (the one TEMP B-TREE, outside the per-queue search)."""
    plan = _sqlite_plan_rows(sqlite_file, "claim_from_queues")
    by_id = {row[0]: row for row in plan}
    per_queue = [row for row in plan if "USING INDEX jobs_ready_by_queue (queue=?)" in row[3]]
    assert per_queue and all("CORRELATED" in by_id[row[1]][3] for row in per_queue), plan
    sorts = [row for row in plan if "TEMP B-TREE" in row[3]]
    assert all("CORRELATED" not in by_id.get(row[1], (0, 0, 0, ""))[3] for row in sorts), plan


@pytest.mark.parametrize(
    ("name", "queues"),
    [*((name, ["q1", "q3"]) for name in CLAIMS), ("claim_from_queues", ["rare", "q2"])],
)
def test_sqlite_claim_reads_a_few_rows_not_the_queue(
    sqlite_file: Path, name: str, queues: list[str]
) -> None:
    """Counted in SQLite virtual-machine steps: a claim of 4 jobs stays far below one step
    per queued job, even for a queue whose few jobs are last in line."""
    steps = _sqlite_steps(sqlite_file, name, queues)
    assert steps < QUEUED // 10, f"{name} on {queues}: {steps} VM steps"


def _sqlite_plan_rows(path: Path, name: str) -> list[tuple[int, int, int, str]]:
    connection = sqlite3.connect(path)
    try:
        params = {**_params(), "queues": json.dumps(["q1", "q3"])}
        sql = statement("cargohold.store.sqlite", name)
        return [tuple(row) for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    finally:
        connection.close()


def _sqlite_steps(path: Path, name: str, queues: list[str]) -> int:
    connection = sqlite3.connect(path, isolation_level=None)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    try:
        connection.execute("BEGIN")
        connection.set_progress_handler(count, 100)
        params = {**_params(), "queues": json.dumps(queues)}
        claimed = connection.execute(statement("cargohold.store.sqlite", name), params).fetchall()
        assert len(claimed) == (1 if name == "claim_fitting" else 4)  # it takes one at a time
        return steps * 100
    finally:
        connection.execute("ROLLBACK")
        connection.close()


# -- PostgreSQL: EXPLAIN ----------------------------------------------------------------------


@pytest.fixture(scope="module", params=["analyzed", "stale"])
def postgres_plan_url(
    request: pytest.FixtureRequest, postgres_databases: Any, postgres_template: str
) -> Iterator[str]:
    """`analyzed`: statistics taken with the jobs in place. `stale`: taken while the table was
    empty, before a burst of jobs (autovacuum off, so they stay stale)."""
    import psycopg

    name = postgres_databases.create("plan", template=postgres_template)
    url: str = postgres_databases.url(name)
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            if request.param == "stale":
                connection.execute("ALTER TABLE jobs SET (autovacuum_enabled = false)")
                connection.execute("ANALYZE jobs")
            rows = _ROWS.replace("printf('%026d', n)", "lpad(n::text, 26, '0')").replace(
                "FROM numbers", f"FROM generate_series(1, {QUEUED + FINISHED}) AS n"
            )
            connection.execute(f"INSERT INTO {_COLUMNS} " + rows.format(queued=QUEUED, now=NOW))
            if request.param == "analyzed":
                connection.execute("ANALYZE jobs")
        yield url
    finally:
        postgres_databases.drop(name)


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


def _postgres_plan(
    url: str, name: str, plan_cache_mode: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The plan nodes on `jobs` of the statement `name` (see `_postgres_nodes`)."""
    nodes = _postgres_nodes(url, name, plan_cache_mode, params)
    return [n for n in nodes if n.get("Relation Name") == "jobs"]


def _postgres_nodes(
    url: str,
    name: str,
    plan_cache_mode: str,
    params: dict[str, Any] | None = None,
    before: str | None = None,
) -> list[dict[str, Any]]:
    """The plan nodes of the statement `name`, run (and rolled back) as the store runs it (a
    claim after `claim_settings`), prepared; with a custom plan as for its first few runs
    (before the driver prepares it), or with the generic plan. `before`: a statement run
    first in the same transaction."""
    import psycopg

    sql = statement("cargohold.store.postgres", name)
    if params is None:
        params = {**_params(), "queues": ["q1", "q3"], "ids": ["0" * 26], "needs": [None]}
    with (
        psycopg.connect(url, autocommit=True) as connection,
        connection.transaction(force_rollback=True),
    ):
        if before is not None:
            connection.execute(before)
        if name.startswith("claim") or name == "head_need":  # on a claim's connection
            connection.execute(statement("cargohold.store.postgres", "claim_settings"))
        connection.execute(f"SET LOCAL plan_cache_mode = {plan_cache_mode}")
        [(measured,)] = connection.execute(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params, prepare=True
        ).fetchall()
    return _nodes(measured[0]["Plan"])


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
@pytest.mark.parametrize("name", [*CLAIMS, "claim_window", "head_need"])
def test_postgres_claim_uses_the_ready_index(
    postgres_plan_url: str, name: str, plan_cache_mode: str
) -> None:
    """Both the plan for these very values and the generic plan a prepared statement
    switches to after a few runs, with fresh statistics and with stale ones."""
    # When: the claim runs (inside a transaction rolled back afterwards).
    on_jobs = _postgres_plan(postgres_plan_url, name, plan_cache_mode)
    # Then: the ready jobs are found through their index, and no step reads every job...
    ready = [n for n in on_jobs if n.get("Index Name") in READY_INDEXES]
    assert ready, on_jobs
    assert not any(n["Node Type"] in ("Seq Scan", "Bitmap Heap Scan") for n in on_jobs), on_jobs
    # ...and it stops after the few rows it claims instead of reading 100,000.
    assert all(n["Actual Rows"] <= 4 for n in ready), ready


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
def test_postgres_claim_moves_the_chosen_jobs_by_their_key(
    postgres_plan_url: str, plan_cache_mode: str
) -> None:
    on_jobs = _postgres_plan(postgres_plan_url, "claim_chosen", plan_cache_mode)
    assert [n.get("Index Name") for n in on_jobs if "Scan" in n["Node Type"]] == ["jobs_pkey"]


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
@pytest.mark.parametrize("kind", list(ACK_KINDS))
@pytest.mark.parametrize("count", [5, 256])
def test_postgres_ack_reads_its_jobs_not_the_table(
    postgres_plan_url: str, kind: str, plan_cache_mode: str, count: int
) -> None:
    """By key, never through every job nor through every running job: statistics taken while
    none ran (as here) make the running jobs look few to the planner, but when outcomes come,
    a worker of quick jobs holds a thousand of them. No step reads or compares more rows than
    the outcomes given."""
    from cargohold.store.postgres import rows

    ids = [str(n).zfill(26) for n in range(1, count + 1)]
    acks = [Ack(job_id, f"t{job_id}", ACK_KINDS[kind]) for job_id in ids]
    params = rows.ack_params(acks, "w", NOW)
    running = (
        "UPDATE jobs SET state = 'running', worker_id = 'w', lease_token = 't' || id, "
        f"lease_expires_at = {NOW + 30} "
        "WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1000)"
    )
    nodes = _postgres_nodes(postgres_plan_url, f"ack_{kind}", plan_cache_mode, params, running)
    scans = [n for n in nodes if n.get("Relation Name") == "jobs" and "Scan" in n["Node Type"]]
    assert scans and not any(n["Node Type"] == "Seq Scan" for n in scans), scans
    indexes = {n["Index Name"] for n in nodes if n.get("Index Name", "").startswith("jobs")}
    assert indexes == {"jobs_pkey"}, nodes
    assert all(n["Actual Rows"] * n["Actual Loops"] <= count for n in scans), scans
    for node in nodes:  # a nested loop that compares every outcome with every job: no
        assert sum(node.get(key, 0) for key in REMOVED) <= 2 * count, node


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
def test_postgres_claim_that_finds_nothing_fitting_reads_its_horizon_not_the_queue(
    postgres_plan_url: str, plan_cache_mode: str
) -> None:
    """A worker whose first job in line waits for memory claims at every tick: with nothing
    fitting, the claim reads the first `CLAIM_HORIZON` jobs in line, each by its key, not all
    100,000."""
    params = {**_params(), "queues": ["q1", "q3"], "free": 1, "unknown_need": 2}
    on_jobs = _postgres_plan(postgres_plan_url, "claim_fitting", plan_cache_mode, params)
    assert not any(n["Node Type"] in ("Seq Scan", "Bitmap Heap Scan") for n in on_jobs), on_jobs
    for node in on_jobs:
        assert node["Actual Rows"] * node["Actual Loops"] <= CLAIM_HORIZON, node
    ready = [n for n in on_jobs if n.get("Index Name") in READY_INDEXES]
    assert ready and sum(n["Actual Rows"] for n in ready) == CLAIM_HORIZON, ready


@pytest.mark.parametrize("horizon", [CLAIM_HORIZON, None])
@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
def test_postgres_claim_stops_at_the_first_job_it_takes(
    postgres_plan_url: str, plan_cache_mode: str, horizon: int | None
) -> None:
    """The line is read lazily, up to the first job the claim takes (and locks: a sort of the
    whole horizon would lock every job in it that fits), with a horizon or without one (no
    memory offer: a claim of jobs under limits)."""
    params = {**_params(), "queues": ["q1", "q3"], "horizon": horizon}
    on_jobs = _postgres_plan(postgres_plan_url, "claim_fitting", plan_cache_mode, params)
    ready = [n for n in on_jobs if n.get("Index Name") in READY_INDEXES]
    assert ready and all(n["Actual Rows"] <= 4 for n in ready), ready
    assert not any(n["Node Type"] in ("Seq Scan", "Bitmap Heap Scan") for n in on_jobs), on_jobs
