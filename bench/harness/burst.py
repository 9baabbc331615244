"""The memory burst: heavy jobs in a real 512 MiB container, beside a process standing in for
the web server. The container is a cgroup v1 memory group created for the run and removed
afterwards (tests/memory/container.py); the system's worker runs inside it with the system's
own defaults, while the producer (the driver) and the harness stay outside. Needs root and a
writable cgroup v1 memory hierarchy.

What one run records: jobs completed (a job counts once its task, having held its memory, has
written its line to the ledger), OOM kills counted by the container, whether the web stand-in
and the worker survived, the container's peak, and the makespan: from the first enqueue to the
last completion when every job completed, else to the moment the run was stopped, with the
reason in `ended`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from tests.memory.container import MIB, Container, unavailable_reason
from tests.memory.harness import WEB_STAND_IN

from bench.harness.measure import BurstPlan, Session
from bench.harness.processes import REPO, BenchError
from bench.peers.common import LedgerReader

WARMUP_TIMEOUT = 60.0
"""Seconds the worker may take to start and run one no-op job before the burst is sent."""
QUIET = 10.0
"""Seconds with nothing left in the broker or store and no job completing after which the
jobs not completed count as lost."""
POLL = 0.05

ALL_DONE = "all done"
LOST = "lost"
"""Nothing left to run, and not every job completed: the rest were lost."""
WORKER_EXITED = "worker exited"
"""No process of the worker was left in the container."""
TIMEOUT = "timeout"
POOL_BROKEN = "pool broken"
"""The naive pool only: a killed process broke the pool, which gave up on every job left."""

NAIVE = "naive pool of 3"
NAIVE_WORKER = """
import json, sys, time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

def job(mib, hold):
    block = bytearray(mib * 1024 * 1024)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    time.sleep(hold)
    return mib

jobs, mib, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
done = 0
start = time.monotonic()
with ProcessPoolExecutor(3) as pool:
    futures = [pool.submit(job, mib, hold) for _ in range(jobs)]
    for future in as_completed(futures):
        try:
            future.result()
            done += 1
        except BrokenProcessPool:
            pass
print(json.dumps({"completed": done, "seconds": time.monotonic() - start}))
"""
"""A hand-written queue, or a peer's prefork worker, the naive way: a pool of 3 processes
with no admission."""


def unavailable() -> str | None:
    """Why the burst cannot run here, or None."""
    return unavailable_reason()


def memory_burst(session: Session) -> None:
    """The burst with this system's worker at its own defaults; one row in raw memory_burst."""
    plan, driver = session.plan.burst, session.driver
    assert plan is not None
    driver.call("setup")
    argv: list[str] = driver.call("default_worker_command", python=session.python)
    container = Container(plan.limit_mib * MIB)
    try:
        web = _start_web(container, plan)
        with (session.logs / f"{session.label}-worker.log").open("ab") as log:
            worker = container.start(
                argv, env=session.env, cwd=REPO, stdout=log, stderr=log, start_new_session=True
            )
        if driver.call("settle", n=1, timeout=WARMUP_TIMEOUT):
            raise BenchError(f"the worker ran no warm-up job within {WARMUP_TIMEOUT:g}s")
        ledger = session.fresh_ledger()
        first = driver.call("enqueue_burst", n=plan.jobs, mib=plan.mib, hold=plan.hold)
        watched = _watch(session, container, web.pid, worker, ledger, first)
        finished = [finish - first for _, finish in ledger.rows]
        row = {
            **_row(container, web, plan, len(finished), watched.pop("ended")),
            "makespan_s": round(max(finished), 1) if len(finished) >= plan.jobs else None,
            "last_completion_s": round(max(finished), 1) if finished else None,
            **{key: round(value, 1) if value else value for key, value in watched.items()},
            "worker_survived": worker.poll() is None,
            "worker_exit_code": worker.returncode,
            "worker_command": argv,
        }
    finally:
        container.destroy()
    session.results.keep("memory_burst", row)


def _watch(
    session: Session,
    container: Container,
    web: int,
    worker: subprocess.Popen[bytes],
    ledger: LedgerReader,
    first: float,
) -> dict[str, Any]:
    """Wait until every job completed or none can any more: why it stopped ("ended"), when
    ("stopped_s"), and since when nothing was left queued ("queue_empty_s"), in seconds from
    the first enqueue."""
    plan = session.plan.burst
    assert plan is not None
    done, left, progress, emptied = 0, plan.jobs, time.time(), None
    while True:
        now = time.time()
        remaining = session.driver.call("remaining")
        if ledger.poll() > done or remaining != left:
            done, left, progress = len(ledger.rows), remaining, now
            emptied = now if remaining == 0 else None
        if done >= plan.jobs:
            ended = ALL_DONE
        elif worker.poll() is not None and not container.pids() - {web}:
            ended = WORKER_EXITED
        elif remaining == 0 and now - progress > QUIET:
            ended = LOST
        elif now - first > plan.timeout:
            ended = TIMEOUT
        else:
            time.sleep(POLL)
            continue
        return {
            "ended": ended,
            "stopped_s": now - first,
            "queue_empty_s": None if emptied is None else emptied - first,
        }


def naive(plan: BurstPlan) -> dict[str, Any]:
    """The same burst with the naive pool of 3, in the repo's interpreter."""
    container = Container(plan.limit_mib * MIB)
    try:
        web = _start_web(container, plan)
        pool = container.start(
            [sys.executable, "-c", NAIVE_WORKER, str(plan.jobs), str(plan.mib), str(plan.hold)],
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            output, _ = pool.communicate(timeout=plan.timeout)
            result = json.loads(output or b'{"completed": 0, "seconds": 0}')
        except subprocess.TimeoutExpired:
            result = {"completed": None, "seconds": plan.timeout}
        ended = TIMEOUT if result["completed"] is None else POOL_BROKEN
        if result["completed"] == plan.jobs:
            ended = ALL_DONE
        seconds = round(result["seconds"], 1)
        return {
            **_row(container, web, plan, result["completed"] or 0, ended),
            "makespan_s": seconds if ended == ALL_DONE else None,
            "stopped_s": seconds,
        }
    finally:
        container.destroy()


def _start_web(container: Container, plan: BurstPlan) -> subprocess.Popen[bytes]:
    web = container.start(
        [sys.executable, "-c", WEB_STAND_IN.format(mib=plan.web_mib)], start_new_session=True
    )
    time.sleep(0.5)  # let it take its memory before the worker starts
    return web


def _row(
    container: Container,
    web: subprocess.Popen[bytes],
    plan: BurstPlan,
    completed: int,
    ended: str,
) -> dict[str, Any]:
    return {
        "jobs": plan.jobs,
        "completed": completed,
        "ended": ended,
        "container_oom_kills": container.oom_kills,
        "web_survived": web.poll() is None,
        "container_peak_mib": round(container.peak / MIB),
    }


def table(rows: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """Markdown lines: one row per (system, its worker settings, measured row)."""
    lines = [
        "| system | worker (its defaults) | completed | container OOM kills | web stand-in "
        "| container peak | makespan | what happened |",
        "| --- | --- | ---: | ---: | --- | ---: | --- | --- |",
    ]
    for system, workers, row in rows:
        name = f"**{system}**" if system.startswith("cargohold") else system
        if "error" in row:
            lines.append(f"| {name} | {workers} | - | - | - | - | - | {row['error']} |")
            continue
        web = "alive" if row["web_survived"] else "**killed**"
        makespan = (
            f"{row['makespan_s']:.1f} s"
            if row["makespan_s"] is not None
            else f"not finished, stopped at {row['stopped_s']:.1f} s"
        )
        lines.append(
            f"| {name} | {workers} | {row['completed']}/{row['jobs']} | "
            f"{row['container_oom_kills']} | {web} | {row['container_peak_mib']} MiB | "
            f"{makespan} | {_what_happened(row)} |"
        )
    return lines


def _what_happened(row: dict[str, Any]) -> str:
    left = row["jobs"] - row["completed"]
    last = row.get("last_completion_s")
    last = "" if last is None else f", last completion at {last:.1f} s"
    if row["ended"] == ALL_DONE:
        return "all done"
    if row["ended"] == LOST:
        return (
            f"{left} lost: nothing queued from {row['queue_empty_s']:.1f} s, "
            f"no completion for {QUIET:g} s{last}; the worker kept running"
        )
    if row["ended"] == WORKER_EXITED:
        return f"worker exited (code {row['worker_exit_code']}), {left} not done{last}"
    if row["ended"] == POOL_BROKEN:
        return f"a kill broke the pool, which gave up the {left} jobs left"
    worker = "running" if row.get("worker_survived", True) else "dead"
    return f"{left} not done at the timeout, worker {worker}{last}"


def rows_of(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The burst's rows in a run's JSON: each system's, then the naive reference."""
    rows = []
    for system, entry in document["systems"].items():
        if "burst_workers" not in entry:
            continue
        measured = entry.get("raw", {}).get("memory_burst", [])
        for row in measured or [{"error": "not measured: see the notes under Systems"}]:
            rows.append((system, entry["burst_workers"], row))
    reference = document.get("memory_burst", {}).get("reference")
    if reference is not None:
        rows.append((NAIVE, "3 processes, no admission", reference))
    return rows
