"""Real worker processes, real signals: a SIGKILLed supervisor's job is rescued by another
worker; SIGTERM hands jobs back."""

from __future__ import annotations

import signal
import time

from cargohold import JobState
from cargohold.records import JobFilter
from tests.apps.ledger_app import build_app, work_task
from tests.ledger import Ledger, concurrent_duplicates
from tests.processes import FAST_LEASES, Workers, process_alive, wait_for

LEDGER_APP = "tests.apps.ledger_app:app"


def test_sigkill_mid_job_then_a_new_worker_rescues_it(workers: Workers) -> None:
    work = work_task(build_app(workers.store_url))
    ledger = Ledger(workers.ledger_path)
    first = workers.start(LEDGER_APP, "--concurrency", "1", *FAST_LEASES)
    handle = work.enqueue(1500)
    wait_for(lambda: len(ledger.runs()) == 1, 20, "the job never started")
    [run] = ledger.runs()
    first.send(signal.SIGKILL)
    killed_at = time.time()
    first.wait(5)
    wait_for(lambda: not process_alive(run.pid), 5, "the runner outlived its supervisor")

    workers.start(LEDGER_APP, "--concurrency", "1", *FAST_LEASES)
    wait_for(lambda: handle.refresh().state.is_terminal, 30, "the job was not rescued")

    assert handle.state == JobState.SUCCEEDED and handle.attempt == 2
    runs = ledger.runs()
    assert len(runs) == 2 and runs[0].ended is None and runs[1].ended is not None
    assert concurrent_duplicates(runs, {first.pid: killed_at}) == []
    kinds = [event.kind for event in handle.events()]
    assert kinds == ["enqueued", "claimed", "rescued", "claimed", "succeeded"]


def test_sigterm_hands_back_running_and_leaves_queued_jobs(workers: Workers) -> None:
    work = work_task(build_app(workers.store_url))
    ledger = Ledger(workers.ledger_path)
    worker = workers.start(LEDGER_APP, "--concurrency", "1", "--grace", "0.5s", *FAST_LEASES)
    long_job = work.enqueue(20_000)
    wait_for(lambda: len(ledger.runs()) == 1, 20, "the long job never started")
    waiting = [work.enqueue(10) for _ in range(3)]
    worker.send(signal.SIGTERM)
    assert worker.wait(10) == 0

    long_job.refresh()
    assert (long_job.state, long_job.attempt) == (JobState.QUEUED, 0)
    assert [e.kind for e in long_job.events()][-1] == "handed_back"
    assert all(job.refresh().state == JobState.QUEUED and job.attempt == 0 for job in waiting)
    assert work.app.store.list_workers() == []


def test_sigterm_lets_a_short_job_finish_within_the_grace_period(workers: Workers) -> None:
    work = work_task(build_app(workers.store_url))
    ledger = Ledger(workers.ledger_path)
    worker = workers.start(LEDGER_APP, "--concurrency", "1", "--grace", "10s", *FAST_LEASES)
    job = work.enqueue(800)
    wait_for(lambda: len(ledger.runs()) == 1, 20, "the job never started")
    worker.send(signal.SIGTERM)
    assert worker.wait(10) == 0
    assert job.refresh().state == JobState.SUCCEEDED and job.attempt == 1
    assert work.app.store.find_jobs(JobFilter(states=(JobState.RUNNING,))) == []
