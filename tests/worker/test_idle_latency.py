"""Idle latency: from the moment `enqueue` is called to the moment the job's code starts, with
one idle worker waiting on its wake-up channel (SQLite: a datagram socket beside the file;
PostgreSQL: LISTEN/NOTIFY). Printed as p50/p99 per store, never asserted: timings depend on
the machine. `pytest -s tests/worker/test_idle_latency.py`; `-m chaos` takes 300 samples.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.apps.ledger_app import build_app, work_task
from tests.ledger import Ledger
from tests.processes import Workers, wait_for

LEDGER_APP = "tests.apps.ledger_app:app"
# Polling alone would take up to a second: a wake-up that fails shows in the figures.
WORKER_ARGS = ("--concurrency", "1", "--poll-interval", "1s")


def measure(workers: Workers, samples: int) -> dict[str, float]:
    app = build_app(workers.store_url)
    work = work_task(app)
    ledger = Ledger(workers.ledger_path)
    workers.start(LEDGER_APP, *WORKER_ARGS)
    # Given a worker that has run one job and is idle again...
    first = work.enqueue(0)
    wait_for(lambda: first.refresh().state == "succeeded", 60, "the worker never ran a job")
    rng = random.Random(0)
    latencies = []
    for _ in range(samples):
        time.sleep(rng.uniform(0.05, 0.15))  # ...waiting on its wake-up channel
        # When a job is enqueued, then the time until its code starts.
        enqueued = time.time()
        job = work.enqueue(0)
        deadline = time.monotonic() + 30
        while not (runs := [r for r in ledger.runs() if r.job_id == job.id]):
            assert time.monotonic() < deadline, f"job {job.id} did not start"
            time.sleep(0.001)
        latencies.append((runs[0].started - enqueued) * 1000)
    app.close()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "samples": samples,
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(latencies), 2),
    }


def run(new_store_url: Callable[[], str], tmp_path: Path, samples: int) -> None:
    url = new_store_url()
    workers = Workers(tmp_path, url)
    try:
        figures = measure(workers, samples)
    finally:
        workers.stop_all()
    print(f"idle latency ({url.split(':', 1)[0]}):", json.dumps(figures))


def test_idle_latency(new_store_url: Callable[[], str], tmp_path: Path) -> None:
    run(new_store_url, tmp_path, samples=40)


@pytest.mark.chaos
def test_idle_latency_full(new_store_url: Callable[[], str], tmp_path: Path) -> None:
    run(new_store_url, tmp_path, samples=300)
