"""CPU time per single enqueue on PostgreSQL: the producer process and the server backend
serving it, each in microseconds per enqueue, with the wall-clock rate.

On a shared machine an enqueue rate moves with whatever else runs; CPU time per enqueue moves
much less, which makes it the figure to compare two versions by. Each run creates a scratch
database, and a producer process makes `--jobs` calls of its system's single enqueue (the
adapter's `enqueue('noop', [])`, as the benchmark's driver does) after `--warmup` calls,
reading its own CPU time (all threads) and the backends' (/proc/PID/stat) before and after.

    .venv/bin/python bench/enqueue_cpu.py [--jobs 5000] [--runs 5] [--peer pgqueuer]

To compare two commits, export each one's `src/` (`git archive COMMIT src | tar -x -C DIR`)
and give both with `--src DIR` (runs alternate between them). `--peer pgqueuer` adds PgQueuer,
run with bench/.peers-venv's interpreter, to the alternation.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

ADMIN_URL = os.environ.get("CARGOHOLD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
DATABASE = "bench_enqueue_cpu"
ROOT = Path(__file__).resolve().parent.parent
PEERS_PYTHON = ROOT / "bench" / ".peers-venv" / "bin" / "python"

PRODUCER = """
import json, os, sys, time
from pathlib import Path
import psycopg
from bench.peers import {module} as peer

TICKS = os.sysconf("SC_CLK_TCK")

def cpu_seconds(pid):
    fields = Path(f"/proc/{{pid}}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS

def backend_cpu(admin):
    rows = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [{database!r}],
    ).fetchall()
    return sum(cpu_seconds(row[0]) for row in rows)

jobs, warmup = {jobs}, {warmup}
peer.setup()
for _ in range(warmup):
    peer.enqueue("noop", [])
with psycopg.connect(os.environ["BENCH_URL"], autocommit=True) as admin:
    server_before = backend_cpu(admin)
    started, cpu_before = time.perf_counter(), time.process_time()
    for _ in range(jobs):
        peer.enqueue("noop", [])
    cpu, seconds = time.process_time() - cpu_before, time.perf_counter() - started
    server = backend_cpu(admin) - server_before
peer.close()
print(json.dumps({{"producer": cpu, "server": server, "seconds": seconds}}))
"""


@dataclass
class Run:
    who: str
    jobs: int
    seconds: float
    producer: float
    server: float

    def per_enqueue(self, seconds: float) -> float:
        return seconds / self.jobs * 1e6


def one_run(who: str, python: str, pythonpath: str, module: str, jobs: int, warmup: int) -> Run:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"
    env = {**os.environ, "PYTHONPATH": pythonpath, "BENCH_URL": url}
    env["BENCH_PEER"] = "cargohold-postgres" if module == "cargohold_peer" else module
    script = PRODUCER.format(module=module, database=DATABASE, jobs=jobs, warmup=warmup)
    answer = subprocess.run(
        [python, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    figures = json.loads(answer.stdout.strip().splitlines()[-1])
    return Run(who, jobs, figures["seconds"], figures["producer"], figures["server"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", action="append", help="a cargohold src/ directory (repeatable)")
    parser.add_argument("--peer", action="append", default=[], choices=["pgqueuer"])
    args = parser.parse_args()
    systems = [
        (src, sys.executable, f"{src}:{ROOT}", "cargohold_peer")
        for src in args.src or [str(ROOT / "src")]
    ]
    systems += [(peer, str(PEERS_PYTHON), str(ROOT), f"{peer}_peer") for peer in args.peer]
    runs: list[Run] = []
    try:
        for number in range(args.runs):
            for who, python, pythonpath, module in systems:
                run = one_run(who, python, pythonpath, module, args.jobs, args.warmup)
                runs.append(run)
                print(
                    f"run {number + 1} {who}: {run.jobs / run.seconds:,.0f} enqueues/s, "
                    f"µs/enqueue producer {run.per_enqueue(run.producer):.0f}, "
                    f"server {run.per_enqueue(run.server):.0f}",
                    flush=True,
                )
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    for who, *_ in systems:
        mine = [run for run in runs if run.who == who]
        rate = statistics.median(run.jobs / run.seconds for run in mine)
        producer = statistics.median(run.per_enqueue(run.producer) for run in mine)
        server = statistics.median(run.per_enqueue(run.server) for run in mine)
        print(
            f"median {who}: {rate:,.0f} enqueues/s; µs/enqueue producer {producer:.0f}, "
            f"server {server:.0f}"
        )


if __name__ == "__main__":
    main()
