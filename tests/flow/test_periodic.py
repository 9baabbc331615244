"""Acceptance: a periodic task fired by several workers on every store.

Given a task scheduled every second and 3 workers, when they run for a while, then each
firing was enqueued exactly once (one job per second, whose key names its slot), none was
skipped, and each ran once.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime

import pytest

from cargohold.records import JobFilter
from tests.apps.flow_app import build_app
from tests.flow.conftest import FlowWorkers
from tests.ledger import Ledger
from tests.processes import FAST_LEASES

PERIODIC = {"CARGOHOLD_TEST_PERIODIC": "1"}


def run_workers(flow_workers: FlowWorkers, seconds: float, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARGOHOLD_TEST_PERIODIC", "1")
    app = build_app(flow_workers.store_url)
    for _ in range(3):
        flow_workers.start("--concurrency", "2", *FAST_LEASES, env=PERIODIC)
    time.sleep(seconds)
    for worker in flow_workers.started:
        worker.stop()
    jobs = app.store.find_jobs(JobFilter(tasks=("tick",), limit=1000, newest_first=False))
    slots = sorted(
        datetime.fromisoformat(job.key.split(":", 2)[2]).timestamp() for job in jobs if job.key
    )
    print(f"periodic every 1s, 3 workers, {seconds:g}s: {len(jobs)} firings")
    assert len(jobs) == len(slots) == len(set(slots)), "one job per firing, each keyed"
    assert len(jobs) >= seconds - 4, "workers start within a few seconds"
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert all(gap == 1.0 for gap in gaps), f"a firing was skipped: {gaps}"
    events = {job.id: [e.kind for e in app.store.job_events(job.id)] for job in jobs}
    assert all(kinds.count("enqueued") == 1 for kinds in events.values())
    runs = Ledger(flow_workers.ledger_path).runs()
    finished = {job.id for job in jobs if job.finished_at is not None}
    assert sorted(r.job_id for r in runs if r.job_id in finished) == sorted(finished)
    app.close()


def test_each_firing_is_enqueued_once(
    flow_workers: FlowWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_workers(flow_workers, 10.0, monkeypatch)


@pytest.mark.chaos
def test_each_firing_is_enqueued_once_for_thirty_seconds(
    flow_workers: FlowWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_workers(flow_workers, 30.0, monkeypatch)


def test_a_schedule_seen_first_fires_at_its_next_slot_and_missed_ones_fire_once(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented policy, with the store's compare-and-set driven by hand."""
    from cargohold.periodic import firing_key
    from cargohold.task import Call, EnqueueOptions

    monkeypatch.setenv("CARGOHOLD_TEST_PERIODIC", "1")
    app = build_app(store_url)
    schedule = app.schedules["tick"]
    store = app.store

    def fire(now: float) -> bool:
        slot = schedule.latest(now)
        job = app._new_job(
            Call(schedule.task, (), {}, EnqueueOptions(key=firing_key("tick", slot))), now
        )
        return store.fire_periodic("tick", slot, job, now) is not None

    t0 = 1_800_000_000.0
    assert not fire(t0 + 0.5), "first seen: starts from the next slot"
    assert fire(t0 + 1.2)
    assert not fire(t0 + 1.9)
    assert fire(t0 + 3600.4), "after an hour down: the latest missed slot, once"
    assert not fire(t0 + 3600.9)
    keys = [j.key for j in store.find_jobs(JobFilter(tasks=("tick",), newest_first=False))]
    assert keys == [firing_key("tick", t0 + 1), firing_key("tick", t0 + 3600)]
    app.close()
