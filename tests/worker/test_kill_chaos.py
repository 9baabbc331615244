"""Random SIGKILLs of whole workers during a burst of jobs, checked with the ledger.

The short form runs in CI; `pytest -m chaos` runs the full rounds (1,000 jobs, 3 rounds).
Both run once on SQLite and once on PostgreSQL (a scratch database per round).
"""

from __future__ import annotations

import json
import random
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from cargohold import JobState
from cargohold.records import JobFilter
from tests.apps.ledger_app import build_app, work_task
from tests.ledger import Ledger, concurrent_duplicates
from tests.processes import FAST_LEASES, Workers

LEDGER_APP = "tests.apps.ledger_app:app"
WORKER_ARGS = ("--concurrency", "2", *FAST_LEASES)


@dataclass
class RoundReport:
    jobs: int
    kills: int
    lost: int
    concurrent_duplicates: int
    runs: int
    extra_runs: int
    max_attempt: int
    wall_seconds: float


def chaos_round(workers: Workers, jobs: int, seed: int, deadline: float) -> RoundReport:
    rng = random.Random(seed)
    app = build_app(workers.store_url)
    work = work_task(app)
    ledger = Ledger(workers.ledger_path)
    started = time.monotonic()
    handles = work.enqueue_many([(rng.randint(10, 200),) for _ in range(jobs)])
    ids = tuple(job.id for job in handles)
    pool = [workers.start(LEDGER_APP, *WORKER_ARGS) for _ in range(2)]
    killed_at: dict[int, float] = {}

    def unfinished() -> int:
        done = app.store.count_jobs().get("default")
        terminal = sum(done[s] for s in JobState if s.is_terminal) if done else 0
        return jobs - terminal

    next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
    while unfinished() and time.monotonic() < deadline:
        time.sleep(0.05)
        if time.monotonic() >= next_kill:
            victim = rng.randrange(len(pool))
            pool[victim].send(signal.SIGKILL)
            killed_at[pool[victim].pid] = time.time()
            pool[victim].wait(10)
            pool[victim] = workers.start(LEDGER_APP, *WORKER_ARGS)
            next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
    for worker in pool:
        worker.stop()

    records = app.store.find_jobs(JobFilter(ids=ids, limit=jobs))
    runs = [run for run in ledger.runs() if run.job_id in set(ids)]
    succeeded_events = {
        job.id: sum(1 for e in app.store.job_events(job.id) if e.kind == "succeeded")
        for job in records
    }
    claimed_events = {
        job.id: sum(1 for e in app.store.job_events(job.id) if e.kind == "claimed")
        for job in records
    }
    # I3: exactly one success per job.
    twice = [job_id for job_id, count in succeeded_events.items() if count > 1]
    assert twice == [], f"jobs succeeded more than once: {twice}"
    # I6: attempts never exceed the maximum.
    assert all(job.attempt <= job.max_attempts for job in records)
    assert all(claimed_events[job.id] <= job.max_attempts for job in records)
    report = RoundReport(
        jobs=jobs,
        kills=len(killed_at),
        lost=sum(1 for job in records if job.state != JobState.SUCCEEDED),
        concurrent_duplicates=len(concurrent_duplicates(runs, killed_at)),
        runs=len(runs),
        extra_runs=len(runs) - jobs,
        max_attempt=max(job.attempt for job in records),
        wall_seconds=round(time.monotonic() - started, 1),
    )
    app.close()
    return report


def run_rounds(
    tmp_path: Path, new_store_url: Callable[[], str], jobs: int, rounds: int, budget: float
) -> list[RoundReport]:
    """Rounds on fresh stores of one kind (SQLite, or a PostgreSQL database of its own)."""
    reports = []
    deadline = time.monotonic() + budget
    for number in range(rounds):
        round_path = tmp_path / f"round{number}"
        round_path.mkdir()
        workers = Workers(round_path, new_store_url())
        try:
            reports.append(chaos_round(workers, jobs, seed=number, deadline=deadline))
        finally:
            workers.stop_all()
    kind = workers.store_url.split(":", 1)[0]
    for report in reports:
        print(f"chaos round ({kind}):", json.dumps(asdict(report)))
        # I1 no loss, I2 no concurrent duplicates.
        assert report.lost == 0, f"{report.lost} job(s) did not succeed: {report}"
        assert report.concurrent_duplicates == 0, report
    return reports


def test_random_sigkill_short(tmp_path: Path, new_store_url: Callable[[], str]) -> None:
    reports = run_rounds(tmp_path, new_store_url, jobs=300, rounds=1, budget=240)
    assert reports[0].kills >= 3, "too few kills landed for the test to mean anything"


@pytest.mark.chaos
def test_random_sigkill_full(tmp_path: Path, new_store_url: Callable[[], str]) -> None:
    run_rounds(tmp_path, new_store_url, jobs=1000, rounds=3, budget=1500)
