"""CPU time per job of a real worker draining no-op jobs: the supervisor, its runners and the
PostgreSQL backends serving the drain, each in microseconds per job, with the drain rate.

On a shared machine a drain rate moves with whatever else runs; CPU time per job moves much
less, which makes it the figure to compare two versions by. Each run fills a scratch
database (or SQLite file) with no-op jobs in one bulk call, starts
`cargohold worker bench.peers.cargohold_peer:app --concurrency 2`, and reads each process's
user + system time (/proc/PID/stat) when the first job is done and when none is left.

    .venv/bin/python bench/drain_cpu.py [--store postgres|sqlite] [--jobs 5000] [--runs 5]

To compare two commits, export each one's `src/` (`git archive COMMIT src | tar -x -C DIR`)
and give both with `--src DIR` (runs alternate between them).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

ADMIN_URL = os.environ.get("CARGOHOLD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
DATABASE = "bench_drain_cpu"
ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
POLL = 0.005
FILL = (
    "from bench.peers import cargohold_peer as c; c.setup(); "
    "c.enqueue_bulk('noop', [[]] * {jobs}); c.close()"
)


@dataclass
class Run:
    src: str
    jobs: int
    seconds: float
    cpu: dict[str, float]
    """Seconds of CPU per process kind: supervisor, runners, postgres."""

    def per_job(self, kind: str) -> float:
        return self.cpu[kind] / self.jobs * 1e6


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def backends(admin: psycopg.Connection[Any] | None, counter: int | None) -> list[int]:
    """The server processes of the scratch database, but the one counting what is left."""
    if admin is None:
        return []
    rows = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
        [DATABASE, counter],
    ).fetchall()
    return [int(row[0]) for row in rows]


def snapshot(processes: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    return {kind: {pid: cpu_seconds(pid) for pid in pids} for kind, pids in processes.items()}


def one_run(src: str, store: str, jobs: int, scratch: Path) -> Run:
    env = {**os.environ, "PYTHONPATH": f"{src}:{ROOT}", "BENCH_PEER": f"cargohold-{store}"}
    env["BENCH_LEDGER"] = str(scratch / "ledger")
    admin: psycopg.Connection[Any] | None = None
    if store == "postgres":
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {DATABASE}")
        env["BENCH_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"
        admin = psycopg.connect(ADMIN_URL, autocommit=True)
        remaining, counter = _postgres_remaining(env["BENCH_URL"])
    else:
        path = scratch / "jobs.db"
        env["BENCH_URL"] = f"sqlite:///{path}"
        remaining, counter = _sqlite_remaining(path), None
    subprocess.run([sys.executable, "-c", FILL.format(jobs=jobs)], env=env, cwd=ROOT, check=True)
    command = [sys.executable, "-m", "cargohold", "worker", "bench.peers.cargohold_peer:app"]
    worker = subprocess.Popen(
        [*command, "--concurrency", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(scratch / "worker.log", "w"),  # noqa: SIM115
        start_new_session=True,
    )
    try:
        first_left = jobs
        while (first_left := remaining()) >= jobs:
            time.sleep(POLL)
        processes = {
            "supervisor": [worker.pid],
            "runners": children(worker.pid),
            "postgres": backends(admin, counter),
        }
        start, before = time.monotonic(), snapshot(processes)
        polls = 0
        while remaining() > 0:
            polls += 1
            if polls % 20 == 0:  # runners recycled, connections opened since
                processes["runners"] = children(worker.pid)
                processes["postgres"] = backends(admin, counter)
            time.sleep(POLL)
        seconds = time.monotonic() - start
        after = snapshot(processes)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        if admin is not None:
            admin.close()
    cpu = {
        kind: sum(now - before[kind].get(pid, 0.0) for pid, now in after[kind].items())
        for kind in after
    }
    return Run(src, first_left, seconds, cpu)


def _postgres_remaining(url: str) -> tuple[Any, int]:
    connection = psycopg.connect(url, autocommit=True)
    query = "SELECT count(*) FROM jobs WHERE state IN ('queued', 'scheduled', 'running')"
    return lambda: connection.execute(query).fetchone()[0], connection.info.backend_pid  # type: ignore[index]


def _sqlite_remaining(path: Path) -> Any:
    import sqlite3

    def count() -> int:
        with sqlite3.connect(path) as connection:
            query = "SELECT count(*) FROM jobs WHERE state IN ('queued', 'scheduled', 'running')"
            return int(connection.execute(query).fetchone()[0])

    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", action="append", help="a cargohold src/ directory (repeatable)")
    args = parser.parse_args()
    sources = args.src or [str(ROOT / "src")]
    scratch = Path(tempfile.mkdtemp(prefix="drain-cpu-"))
    runs: list[Run] = []
    try:
        for number in range(args.runs):
            for src in sources:
                run = one_run(src, args.store, args.jobs, scratch)
                runs.append(run)
                print(
                    f"run {number + 1} {src}: {run.jobs / run.seconds:,.0f} jobs/s, µs/job "
                    + ", ".join(f"{kind} {run.per_job(kind):.0f}" for kind in run.cpu),
                    flush=True,
                )
    finally:
        if args.store == "postgres":
            with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        shutil.rmtree(scratch, ignore_errors=True)
    for src in sources:
        mine = [run for run in runs if run.src == src]
        rate = statistics.median(run.jobs / run.seconds for run in mine)
        kinds = ", ".join(
            f"{kind} {statistics.median(run.per_job(kind) for run in mine):.0f}"
            for kind in mine[0].cpu
        )
        total = statistics.median(sum(run.per_job(k) for k in run.cpu) for run in mine)
        print(f"median {src}: {rate:,.0f} jobs/s; µs/job {kinds}; total {total:.0f}")


if __name__ == "__main__":
    main()
