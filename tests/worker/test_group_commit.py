"""Outcomes of quick jobs commit on the supervisor's committer thread while it keeps its
runners fed. A real supervisor, real runners, a real SQLite file, whose write lock the test
holds to keep a group commit in flight."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from cargohold import App, JobState
from cargohold.records import JobFilter
from cargohold.store.sqlite.connection import database_path
from tests.apps.ledger_app import build_app, work_task
from tests.ledger import Ledger
from tests.processes import FAST_LEASES, Workers, wait_for

LEDGER_APP = "tests.apps.ledger_app:app"
JOBS = 300


@contextmanager
def held_by_a_thread(
    take: Callable[[], Callable[[], None]], what: str, at_most: float
) -> Iterator[None]:
    """Run `take()` on a thread of its own, which holds what it took until the block ends,
    then calls the function `take` returned to let go. For `at_most` seconds at most, so
    that a worker stuck on the lock fails the test instead of hanging it."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        let_go = take()
        try:
            locked.set()
            release.wait(at_most)
        finally:
            let_go()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10), f"could not take {what}"
        yield
    finally:
        release.set()
        holder.join()


def commits_held(store_url: str, *, at_most: float = 30.0) -> AbstractContextManager[None]:
    """No transaction of the store can commit meanwhile: another connection holds its write
    lock (readers go on)."""

    def take() -> Callable[[], None]:
        blocker = sqlite3.connect(database_path(store_url), isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")

        def let_go() -> None:
            blocker.execute("ROLLBACK")
            blocker.close()

        return let_go

    return held_by_a_thread(take, "the store's write lock", at_most)


def count(app: App, state: JobState) -> int:
    counts = app.store.count_jobs()
    return counts["default"][state] if "default" in counts else 0


def ended_runs(ledger: Ledger) -> int:
    return sum(run.ended is not None for run in ledger.runs())


def test_runners_stay_fed_while_a_group_commit_is_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a worker draining quick jobs
    app = build_app(f"sqlite:///{tmp_path / 'jobs.db'}")
    monkeypatch.setenv("CARGOHOLD_TEST_LEDGER", str(tmp_path / "ledger.db"))
    ledger = Ledger(tmp_path / "ledger.db")
    work = work_task(app)
    work.enqueue_many([[0]] * JOBS)
    # Heartbeats and rescues (which wait for the commit in flight) are not due meanwhile.
    supervisor = app.worker(
        concurrency=2, poll_interval=0.05, lease=300.0, heartbeat=60.0, rescue_interval=60.0
    )
    supervisor.start()
    try:
        while count(app, JobState.SUCCEEDED) < 20:
            supervisor.step(max_wait=0.05)
        assert supervisor.pace.quick
        # When its store cannot commit for a while
        with commits_held(app.store.url):
            while not supervisor.persisting:
                supervisor.step(max_wait=0.05)
            ran_before = ended_runs(ledger)
            # Then its runners go on with the jobs it holds, and none is persisted meanwhile
            while ended_runs(ledger) < ran_before + 20:
                supervisor.step(max_wait=0.05)
            assert supervisor.persisting
            assert count(app, JobState.SUCCEEDED) < ended_runs(ledger)
        # And once it can, every job is persisted once
        while count(app, JobState.SUCCEEDED) < JOBS:
            supervisor.step(max_wait=0.05)
    finally:
        supervisor.shutdown()
        app.close()
    records = app.store.find_jobs(JobFilter(limit=JOBS + 1))
    assert {record.attempt for record in records} == {1}
    assert len(ledger.runs()) == JOBS


def test_a_worker_killed_with_outcomes_waiting_for_their_commit_loses_none(
    workers: Workers,
) -> None:
    # Given a worker draining quick jobs
    work = work_task(build_app(workers.store_url))
    app = work.app
    ledger = Ledger(workers.ledger_path)
    jobs = work.enqueue_many([[0]] * JOBS)
    first = workers.start(LEDGER_APP, "--concurrency", "2", *FAST_LEASES)
    wait_for(lambda: count(app, JobState.SUCCEEDED) >= 20, 30, "the jobs did not start")
    # When it is killed while the outcomes of jobs that ran wait for a commit
    with commits_held(workers.store_url):
        ran_before = ended_runs(ledger)
        wait_for(lambda: ended_runs(ledger) > ran_before + 10, 30, "the runners stopped")
        first.send(signal.SIGKILL)
        first.wait(5)
    # Then those jobs were never recorded as done
    ids = {job.id for job in jobs}
    ran = {run.job_id for run in ledger.runs() if run.ended is not None}
    running_now = JobFilter(states=(JobState.RUNNING,), limit=JOBS + 1)
    running = {record.id for record in app.store.find_jobs(running_now)}
    unpersisted = ran & running
    assert unpersisted
    # And another worker runs them again: every job succeeds
    workers.start(LEDGER_APP, "--concurrency", "2", *FAST_LEASES)
    wait_for(lambda: count(app, JobState.SUCCEEDED) == JOBS, 60, "jobs were lost")
    for job in jobs:
        if job.id in unpersisted:
            assert job.refresh().attempt == 2
    assert {run.job_id for run in ledger.runs()} == ids


def task_stats_locked(
    store_url: str, task: str, *, at_most: float = 30.0
) -> AbstractContextManager[None]:
    """Outcomes of `task` cannot be persisted meanwhile: another session holds its
    statistics' row, which persisting a success updates (claims only read it)."""
    import psycopg

    def take() -> Callable[[], None]:
        blocker = psycopg.connect(store_url)
        blocker.execute("SELECT 1 FROM task_stats WHERE task = %s FOR UPDATE", [task])

        def let_go() -> None:
            blocker.rollback()
            blocker.close()

        return let_go

    return held_by_a_thread(take, "a lock on the task's statistics", at_most)


def test_postgres_claims_go_on_while_outcomes_commit(postgres_url: str) -> None:
    # Given a worker draining no-op jobs from PostgreSQL
    app = App(postgres_url)

    @app.task
    def noop() -> None:
        pass

    jobs = 3000
    noop.enqueue_many([[]] * jobs)
    supervisor = app.worker(
        concurrency=2, poll_interval=0.05, lease=300.0, heartbeat=60.0, rescue_interval=60.0
    )
    supervisor.start()
    try:
        while count(app, JobState.SUCCEEDED) < 20:
            supervisor.step(max_wait=0.05)
        assert supervisor.pace.quick
        # When its outcomes cannot be persisted for a while
        with task_stats_locked(postgres_url, noop.name):
            while supervisor.unpersisted == 0 or not supervisor.persisting:
                supervisor.step(max_wait=0.05)
            succeeded = count(app, JobState.SUCCEEDED)
            held = len(supervisor.running_jobs) + len(supervisor.line)
            claimed = count(app, JobState.RUNNING)
            # Then it goes on claiming and running jobs beyond those it held...
            while count(app, JobState.RUNNING) < claimed + held + 100:
                supervisor.step(max_wait=0.05)
            # ...until as many outcomes wait as twice what it holds
            bound = 2 * supervisor.pace.jobs_to_hold(2)
            deadline = time.monotonic() + 60
            while supervisor.unpersisted < bound:
                assert time.monotonic() < deadline, "it stopped claiming below the bound"
                supervisor.step(max_wait=0.01)
            assert supervisor.lineup.jobs_to_claim() == 0
            for _ in range(100):  # it runs what it holds and claims nothing more
                supervisor.step(max_wait=0.01)
            assert count(app, JobState.RUNNING) < jobs - succeeded
            assert count(app, JobState.SUCCEEDED) == succeeded
        # And once they can be, every job is persisted once
        while count(app, JobState.SUCCEEDED) < jobs:
            supervisor.step(max_wait=0.05)
    finally:
        supervisor.shutdown()
        app.close()
    records = app.store.find_jobs(JobFilter(limit=jobs + 1))
    assert {record.attempt for record in records} == {1}
