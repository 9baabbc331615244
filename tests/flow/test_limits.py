"""Acceptance: a concurrency limit shared by worker processes on every store.

Given 4 worker processes of 3 runners each and 200 jobs under `limits=["api"]` (concurrency
3), when they all run, then never more than 3 run at once (the ledger's start and end times,
written by the runs themselves) and every job succeeds. A worker SIGKILLed while a job of it
holds a slot: the slot is free again within its lease.
"""

from __future__ import annotations

import signal
import time

from cargohold import App, JobState
from cargohold.records import JobFilter
from tests.apps.flow_app import build_app
from tests.flow.conftest import FlowWorkers
from tests.ledger import Ledger, Run
from tests.processes import FAST_LEASES, wait_for

JOBS = 200
LEASE = 1.5  # FAST_LEASES


def most_at_once(runs: list[Run]) -> int:
    edges = sorted(
        [(run.started, 1) for run in runs] + [(run.ended or float("inf"), -1) for run in runs],
        key=lambda edge: (edge[0], edge[1]),  # an end before a start at the same instant
    )
    held = most = 0
    for _, change in edges:
        held += change
        most = max(most, held)
    return most


def test_four_workers_never_run_more_than_the_limit(flow_workers: FlowWorkers) -> None:
    app = build_app(flow_workers.store_url)
    jobs = app.tasks["limited"].enqueue_many([(30,)] * JOBS)
    started = time.monotonic()
    for _ in range(4):
        flow_workers.start("--concurrency", "3", *FAST_LEASES)

    def finished() -> bool:
        counts = app.store.count_jobs().get("default")
        return counts is not None and counts[JobState.SUCCEEDED] == JOBS

    wait_for(finished, 50, f"all {JOBS} jobs succeed\n{flow_workers.logs()[-3000:]}", 0.2)
    elapsed = time.monotonic() - started
    runs = [r for r in Ledger(flow_workers.ledger_path).runs() if r.ended is not None]
    print(f"limit 3: {JOBS} jobs in {elapsed:.1f}s, at most {most_at_once(runs)} at once")
    assert len({run.job_id for run in runs}) == JOBS
    assert most_at_once(runs) <= 3
    assert most_at_once(runs) == 3, "the limit was never used fully: the test proves little"
    records = app.store.find_jobs(JobFilter(ids=tuple(j.id for j in jobs), limit=JOBS))
    assert all(job.state == JobState.SUCCEEDED for job in records)
    assert app.store.limit_holders("api", "", app.store.now()) == []
    app.close()


def test_a_sigkilled_holder_frees_its_slot_within_its_lease(flow_workers: FlowWorkers) -> None:
    app: App = build_app(flow_workers.store_url)
    job = app.tasks["hold_solo"].enqueue(60_000)
    victim = flow_workers.start("--concurrency", "1", *FAST_LEASES)
    solo = app.limit("solo")
    wait_for(lambda: [h.job_id for h in solo.holders()] == [job.id], 30, "the job holds the slot")
    assert solo.try_acquire() is None, "the limit of 1 is full"
    victim.send(signal.SIGKILL)
    killed = time.monotonic()
    victim.wait(10)
    wait_for(lambda: solo.holders() == [], LEASE + 1.0, "the slot frees itself")
    freed = time.monotonic() - killed
    print(f"slot freed {freed:.2f}s after SIGKILL (lease {LEASE}s)")
    assert freed <= LEASE + 0.5
    slot = solo.try_acquire()
    assert slot is not None, "request code gets the freed slot"
    slot.release()
    app.close()
