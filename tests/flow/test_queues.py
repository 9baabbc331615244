"""Acceptance: back-pressure, pauses, waiting on a rate, and the wait deadline, on every store.

Given a queue declared with max_depth=20, when producers enqueue into it, then the 21st
waiting job is refused with QueueFullError (its message says what to do, `retry_after` says
when), nothing refused is written and nothing accepted is lost.
"""

from __future__ import annotations

import threading
import time

import pytest

from cargohold import JobState
from cargohold.errors import QueueFullError
from cargohold.records import JobFilter
from cargohold.store import Store
from tests.apps.flow_app import build_app
from tests.flow.conftest import FlowWorkers
from tests.processes import FAST_LEASES, wait_for


def test_a_full_queue_refuses_with_the_documented_error_and_loses_nothing(
    store_url: str,
) -> None:
    app = build_app(store_url)
    photo = app.tasks["photo"]
    accepted: list[str] = []
    refused: list[QueueFullError] = []
    lock = threading.Lock()

    def producer(n: int) -> None:
        for m in range(5):
            try:
                job = photo.options(key=f"upload-{n}-{m}").enqueue(10)
            except QueueFullError as error:
                with lock:
                    refused.append(error)
            else:
                with lock:
                    accepted.append(job.id)

    threads = [threading.Thread(target=producer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == 20 and len(refused) == 20
    stored = app.store.find_jobs(JobFilter(queues=("photos",), limit=100))
    assert sorted(job.id for job in stored) == sorted(accepted), "every accepted job, no other"
    error = refused[0]
    assert (error.queue, error.max_depth, error.retry_after) == ("photos", 20, 7.0)
    assert "queue 'photos' is full" in str(error) and "max_depth" in str(error)
    app.close()


def test_a_drained_queue_accepts_again(flow_workers: FlowWorkers) -> None:
    app = build_app(flow_workers.store_url)
    photo = app.tasks["photo"]
    photo.enqueue_many([(1,)] * 20)
    with pytest.raises(QueueFullError):
        photo.enqueue(1)
    flow_workers.start("--concurrency", "2", *FAST_LEASES)
    wait_for(lambda: _count(app.store, "photos", JobState.SUCCEEDED) == 20, 30, "drained")
    assert photo.enqueue(1).created
    app.close()


def test_a_paused_queue_waits_and_resumes(flow_workers: FlowWorkers) -> None:
    from cargohold.reasons import why_waiting

    app = build_app(flow_workers.store_url)
    assert app.pause("photos") and not app.pause("photos")
    job = app.tasks["photo"].enqueue(1)
    flow_workers.start("--concurrency", "1", *FAST_LEASES)
    time.sleep(2.0)
    assert job.refresh().state == JobState.QUEUED
    assert "paused" in (why_waiting(app.store, job.record) or "")
    assert app.queue("photos").paused
    assert app.resume("photos")
    wait_for(lambda: job.refresh().state == JobState.SUCCEEDED, 20, "runs once resumed")
    app.close()


def test_a_rate_limited_task_waits_without_losing_attempts(flow_workers: FlowWorkers) -> None:
    app = build_app(flow_workers.store_url)
    jobs = app.tasks["metered"].enqueue_many([(1,)] * 8)  # 5 per 2 s, retries=0
    flow_workers.start("--concurrency", "3", *FAST_LEASES)
    wait_for(
        lambda: all(j.refresh().state == JobState.SUCCEEDED for j in jobs),
        30,
        f"all succeed\n{flow_workers.logs()[-2000:]}",
        0.2,
    )
    starts = sorted(j.record.started_at or 0 for j in jobs)
    assert starts[5] - starts[0] >= 2.0, "the sixth waited for the rate's window"
    snoozed = [e for j in jobs for e in j.events() if e.kind == "snoozed"]
    assert snoozed and all("rate limited" in (e.reason or "") for e in snoozed)
    assert all(j.record.attempt == 1 for j in jobs), "waiting cost no attempt"
    app.close()


def test_a_job_that_waited_too_long_is_cancelled_with_the_reason(store_url: str) -> None:
    from cargohold import App

    app = App(store_url)

    @app.task(wait_timeout="0.5s")
    def slow_to_start() -> None:
        return None

    job = slow_to_start.enqueue()
    time.sleep(0.6)
    report = app.store.rescue("test", app.store.now())
    assert job.id in report.expired
    assert job.refresh().state == JobState.CANCELLED
    event = job.events()[-1]
    assert event.kind == "expired" and "wait_timeout of 0.5 seconds" in (event.reason or "")
    app.close()


def _count(store: Store, queue: str, state: JobState) -> int:
    counts = store.count_jobs().get(queue)
    return 0 if counts is None else counts[state]
