"""Workers on several "hosts" sharing one PostgreSQL, and PostgreSQL going away under them.

Each worker runs in a process tree of its own, under a hostname of its own where the test may
set one (root: a UTS namespace). Checked with the ledger: every job succeeds exactly once and
no two runs of a job overlap. The restart test restarts the shared server, which disturbs any
other test using it at that moment: it runs only with `-m chaos`.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cargohold import App, JobState
from cargohold.records import JobFilter
from tests.apps.ledger_app import build_app, work_task
from tests.ledger import Ledger, concurrent_duplicates
from tests.processes import FAST_LEASES, WorkerProcess, Workers, wait_for

pytest.importorskip("psycopg")

LEDGER_APP = "tests.apps.ledger_app:app"
HOSTS = ("host-a", "host-b")
RECOVERY_LIMIT = 60.0
"""Seconds the workers get to run jobs again after a disturbance."""


@dataclass
class FleetReport:
    jobs: int
    lost: int = 0
    concurrent_duplicates: int = 0
    succeeded_twice: int = 0
    runs: int = 0
    runs_per_host: dict[str, int] = field(default_factory=dict)
    disturbances: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0


class Fleet:
    """Two workers as two hosts on one store, the app that enqueues, and the ledger."""

    def __init__(self, workers: Workers, concurrency: int) -> None:
        self.workers = workers
        self.app: App = build_app(workers.store_url)
        self.ledger = Ledger(workers.ledger_path)
        self.args = ("--concurrency", str(concurrency), *FAST_LEASES)
        self.pool: list[WorkerProcess] = []

    def start(self) -> None:
        self.pool = [self.workers.start(LEDGER_APP, *self.args, host=host) for host in HOSTS]

    def unfinished(self, jobs: int) -> int:
        counts = self.app.store.count_jobs().get("default")
        return jobs - (sum(counts[s] for s in JobState if s.is_terminal) if counts else 0)

    def seconds_to_recover(self, since: float) -> float:
        """Seconds after `since` until every worker has started a job again."""
        pids = {worker.pid for worker in self.pool}

        def recovered() -> bool:
            started = {run.parent_pid for run in self.ledger.runs() if run.started > since}
            return pids <= started

        wait_for(recovered, RECOVERY_LIMIT, "the workers did not run jobs again", interval=0.01)
        return (
            max(
                min(
                    run.started
                    for run in self.ledger.runs()
                    if run.parent_pid == pid and run.started > since
                )
                for pid in pids
            )
            - since
        )


def run_fleet(
    workers: Workers,
    jobs: int,
    disturbances: list[Callable[[Fleet], dict[str, Any]]],
    *,
    milliseconds: tuple[int, int] = (0, 3),
    concurrency: int = 2,
    budget: float = 600.0,
) -> FleetReport:
    """Given `jobs` jobs and two workers as two hosts; when each disturbance happens in turn
    (once the previous one was recovered from); then the ledger is checked."""
    fleet = Fleet(workers, concurrency)
    rng = random.Random(jobs)
    started = time.monotonic()
    work = work_task(fleet.app)
    ids: list[str] = []
    for first in range(0, jobs, 1000):
        batch = [(rng.randint(*milliseconds),) for _ in range(min(1000, jobs - first))]
        ids += [job.id for job in work.enqueue_many(batch)]
    fleet.start()
    report = FleetReport(jobs=jobs)
    deadline = time.monotonic() + budget
    try:
        wait_for(lambda: fleet.unfinished(jobs) < jobs, 60, "no job started")
        for disturb in disturbances:
            outcome = disturb(fleet)
            outcome["unfinished_after"] = fleet.unfinished(jobs)
            report.disturbances.append(outcome)
        while fleet.unfinished(jobs) and time.monotonic() < deadline:
            time.sleep(0.1)
        hostnames = {w.hostname for w in fleet.app.store.list_workers()}
    finally:
        for worker in fleet.pool:
            worker.stop()
    report.wall_seconds = round(time.monotonic() - started, 1)
    return _check(fleet, ids, report, hostnames)


def _check(fleet: Fleet, ids: list[str], report: FleetReport, hostnames: set[str]) -> FleetReport:
    store = fleet.app.store
    records = store.find_jobs(JobFilter(limit=len(ids) + 1))
    runs = [run for run in fleet.ledger.runs() if run.job_id in set(ids)]
    succeeded: dict[str, int] = {}
    for page in store.export(1000):
        for event in page.events:
            if event.kind == "succeeded":
                succeeded[event.job_id] = succeeded.get(event.job_id, 0) + 1
    host_of = {worker.pid: host for worker, host in zip(fleet.pool, HOSTS, strict=True)}
    report.lost = sum(1 for job in records if job.state != JobState.SUCCEEDED)
    report.lost += len(ids) - len(records)
    report.concurrent_duplicates = len(concurrent_duplicates(runs, {}))
    report.succeeded_twice = sum(1 for n in succeeded.values() if n > 1)
    report.runs = len(runs)
    for run in runs:
        host = host_of.get(run.parent_pid, "other")
        report.runs_per_host[host] = report.runs_per_host.get(host, 0) + 1
    print("postgres fleet:", json.dumps(asdict(report)), "hostnames:", sorted(hostnames))
    fleet.app.close()
    assert report.lost == 0, report
    assert report.concurrent_duplicates == 0 and report.succeeded_twice == 0, report
    assert all(report.runs_per_host.get(host, 0) > 0 for host in HOSTS), report
    return report


@pytest.fixture
def fleet_workers(tmp_path: Path, postgres_url: str) -> Any:
    pool = Workers(tmp_path, postgres_url)
    try:
        yield pool
    finally:
        pool.stop_all()


# -- two hosts ---------------------------------------------------------------------------------


def test_two_hosts_share_postgres(fleet_workers: Workers) -> None:
    run_fleet(fleet_workers, jobs=2000, disturbances=[])


@pytest.mark.chaos
def test_two_hosts_share_postgres_full(fleet_workers: Workers) -> None:
    run_fleet(fleet_workers, jobs=10_000, disturbances=[])


# -- the server goes away ----------------------------------------------------------------------


def terminate_backends(databases: Any, database: str) -> Callable[[Fleet], dict[str, Any]]:
    """Every session of the test's own database is ended, as a crashed backend or a
    network cut would; then the time until both workers run jobs again."""

    def disturb(fleet: Fleet) -> dict[str, Any]:
        time.sleep(1.0)
        at = time.time()
        ended = databases.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchone()[0]
        return {
            "what": "pg_terminate_backend",
            "sessions": ended,
            "recovery_seconds": round(fleet.seconds_to_recover(at), 3),
        }

    return disturb


def restart_server(mode: str) -> Callable[[Fleet], dict[str, Any]]:
    """`pg_ctlcluster ... restart -m MODE`; recovery is counted from the moment the server
    accepts connections again."""

    def disturb(fleet: Fleet) -> dict[str, Any]:
        time.sleep(1.0)
        down = time.time()
        subprocess.run([*RESTART, "-m", mode], check=True, capture_output=True, timeout=120)
        up = time.time()
        return {
            "what": f"restart -m {mode}",
            "outage_seconds": round(up - down, 3),
            "recovery_seconds": round(fleet.seconds_to_recover(up), 3),
        }

    return disturb


def _cluster() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        return []
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


RESTART = _cluster()


def test_workers_recover_when_their_sessions_are_terminated(
    fleet_workers: Workers, postgres_databases: Any, postgres_url: str
) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    disturb = terminate_backends(postgres_databases, database)
    report = run_fleet(fleet_workers, jobs=2000, disturbances=[disturb] * 3, milliseconds=(5, 15))
    assert len(report.disturbances) == 3
    assert all(d["unfinished_after"] > 0 for d in report.disturbances), report


@pytest.mark.chaos
def test_workers_recover_when_the_server_restarts(
    fleet_workers: Workers, postgres_databases: Any, postgres_url: str
) -> None:
    """Restarts the shared server (fast, then immediate), then ends every session: run it
    alone, `pytest -m chaos -s tests/worker/test_postgres_fleet.py -k restarts`."""
    if not RESTART:
        pytest.skip("restarting PostgreSQL needs root and pg_ctlcluster")
    database = postgres_url.rsplit("/", 1)[1]
    disturbances = [
        restart_server("fast"),
        restart_server("immediate"),
        terminate_backends(postgres_databases, database),
    ]
    report = run_fleet(fleet_workers, jobs=5000, disturbances=disturbances, milliseconds=(5, 25))
    assert all(d["unfinished_after"] > 0 for d in report.disturbances), report
