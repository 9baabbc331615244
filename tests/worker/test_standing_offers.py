"""An idle worker stands an offer, and the next job a producer writes comes to it already
claimed, in the producer's notification (PostgreSQL) or datagram (SQLite). A real worker
(in-process supervisor, real runner processes) on a real store: the job runs once, even when
its notification is lost, and a worker that stops hands back a job that took its offer."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cargohold import App, JobState
from cargohold.worker.supervisor import Supervisor
from tests.apps.sample_app import build_app

TIMEOUT = 30.0


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'offers.db'}"
    else:
        pytest.importorskip("psycopg")
        url = request.getfixturevalue("postgres_url")
    built = build_app(url)
    yield built
    built.close()


@pytest.fixture
def pg_app(postgres_url: str) -> Iterator[App]:
    pytest.importorskip("psycopg")
    built = build_app(postgres_url)
    yield built
    built.close()


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[App]:
    built = build_app(f"sqlite:///{tmp_path / 'offers.db'}")
    yield built
    built.close()


@contextlib.contextmanager
def running_idle(app: App, poll_interval: float = 0.2) -> Iterator[Supervisor]:
    """A started worker that found nothing to claim and stands an offer."""
    supervisor = app.worker(concurrency=2, poll_interval=poll_interval)
    supervisor.start()
    try:
        step_until(supervisor, lambda: supervisor.standing_offer is not None)
        yield supervisor
    finally:
        supervisor.shutdown()


@pytest.fixture
def idle_worker(app: App) -> Iterator[Supervisor]:
    with running_idle(app) as supervisor:
        yield supervisor


@pytest.fixture
def idle_pg_worker(pg_app: App) -> Iterator[Supervisor]:
    with running_idle(pg_app) as supervisor:
        yield supervisor


@pytest.fixture
def idle_sqlite_worker(sqlite_app: App) -> Iterator[Supervisor]:
    with running_idle(sqlite_app) as supervisor:
        yield supervisor


def step_until(supervisor: Supervisor, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"condition not reached within {TIMEOUT}s"
        supervisor.step(max_wait=0.05)


def claimed_by_the_producer(app: App, job_id: str, worker_id: str) -> bool:
    """Whether the job was claimed for `worker_id` by the statement that wrote it: its claim
    bears the enqueue's own time."""
    events = {event.kind: event for event in app.store.job_events(job_id)}
    claimed = events["claimed"]
    return claimed.worker_id == worker_id and claimed.at == events["enqueued"].at


def test_an_idle_worker_runs_the_job_handed_to_its_offer(app: App, idle_worker: Supervisor) -> None:
    # Given an idle worker standing an offer
    token = idle_worker.standing_offer

    # When a job is enqueued
    job = app.tasks["add"].enqueue(2, 3)

    # Then it is written claimed for that worker, under the offer's lease
    record = app.store.get_job(job.id)
    assert record is not None and record.state == JobState.RUNNING
    assert claimed_by_the_producer(app, job.id, idle_worker.worker_id)
    # And the worker runs it, and stands a new offer once idle again
    step_until(idle_worker, lambda: job.refresh().state == JobState.SUCCEEDED)
    assert job.result == 5
    step_until(idle_worker, lambda: idle_worker.standing_offer not in (None, token))


def test_a_job_whose_notification_is_lost_runs_after_the_next_poll(
    pg_app: App, idle_pg_worker: Supervisor, postgres_admin: Any, postgres_url: str
) -> None:
    idle_worker = idle_pg_worker
    # Given an idle worker standing an offer, whose LISTEN connection is then cut
    database = postgres_url.rsplit("/", 1)[1]
    cut = postgres_admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND query LIKE 'LISTEN%%'",
        [database],
    ).fetchall()
    assert cut, "no LISTEN connection found"

    # When a job takes the offer (its notification goes nowhere)
    job = pg_app.tasks["add"].enqueue(20, 22)
    assert claimed_by_the_producer(pg_app, job.id, idle_worker.worker_id)

    # Then the worker finds it when it withdraws its offer at its next poll, and runs it once
    step_until(idle_worker, lambda: job.refresh().state == JobState.SUCCEEDED)
    assert job.result == 42
    assert [e.kind for e in pg_app.store.job_events(job.id)].count("claimed") == 1


def test_a_job_whose_datagram_is_lost_runs_after_the_next_poll(
    sqlite_app: App, idle_sqlite_worker: Supervisor
) -> None:
    idle_worker = idle_sqlite_worker
    # Given an idle worker standing an offer, whose wake-up datagrams are taken by another
    wakeup = idle_worker._waiter.wakeup
    assert wakeup is not None
    thief = socket.socket(fileno=os.dup(wakeup.fileno()))
    thief.setblocking(False)
    try:
        # When a job takes the offer and its datagram is taken before the worker reads it
        job = sqlite_app.tasks["add"].enqueue(20, 22)
        assert claimed_by_the_producer(sqlite_app, job.id, idle_worker.worker_id)
        assert thief.recv(1 << 17).startswith(f'["{job.id}"'.encode())
    finally:
        thief.close()

    # Then the worker finds it when it withdraws its offer at its next poll, and runs it once
    step_until(idle_worker, lambda: job.refresh().state == JobState.SUCCEEDED)
    assert job.result == 42
    assert [e.kind for e in sqlite_app.store.job_events(job.id)].count("claimed") == 1


def test_a_worker_that_stops_hands_back_a_job_that_took_its_offer(
    app: App, idle_worker: Supervisor
) -> None:
    # Given an idle worker standing an offer, taken by a job it has not heard of yet
    job = app.tasks["add"].enqueue(1, 1)
    assert claimed_by_the_producer(app, job.id, idle_worker.worker_id)

    # When the worker is asked to stop and shuts down at once
    idle_worker.request_stop()
    idle_worker.shutdown()

    # Then the job is queued again for another worker, not left running under a lease
    record = app.store.get_job(job.id)
    assert record is not None and record.state == JobState.QUEUED
    assert [e.kind for e in app.store.job_events(job.id)][-1] == "handed_back"
    # And another worker runs it
    other = app.worker(concurrency=1, poll_interval=0.2)
    other.start()
    try:
        step_until(other, lambda: job.refresh().state == JobState.SUCCEEDED)
    finally:
        other.shutdown()
    assert job.result == 2


@contextlib.contextmanager
def idle_and_rarely_polling(app: App) -> Iterator[Supervisor]:
    """An idle worker standing an offer, whose next poll is a minute away: what it claims
    before then, it claims because something told it to. Its app has a task `nap` whose
    memory need is declared (a job of unknown need is given all the free memory)."""

    @app.task(memory="16MiB", retries=0)
    def nap(seconds: float) -> None:
        time.sleep(seconds)

    with running_idle(app, poll_interval=60.0) as supervisor:
        yield supervisor


def hear(worker: Supervisor) -> None:
    """The wait that follows the tick that stood the offer, as in `Supervisor.run` (a step
    of the test's would begin with a tick, which claims as a poll does), once what the
    producers sent has arrived."""
    time.sleep(0.2)
    worker._waiter.wait([], TIMEOUT, listen=True)


def test_a_job_handed_to_the_offer_runs_without_a_claim_of_the_workers(app: App) -> None:
    with idle_and_rarely_polling(app) as worker:
        last_claim = worker._came_up_empty
        assert last_claim is not None
        # When a job takes the idle worker's offer, and the worker hears of it
        job = app.tasks["nap"].enqueue(0.5)
        assert claimed_by_the_producer(app, job.id, worker.worker_id)
        hear(worker)

        # Then the worker starts it, and claims nothing while it runs: the queue it found
        # empty is still empty (no producer woke it), though it has room for another job
        # and wakes up often to watch the job's memory
        step_until(worker, lambda: bool(worker.running_jobs))
        ticks = 0
        while worker.running_jobs:
            assert worker._came_up_empty == last_claim, "the worker claimed for nothing"
            worker.step()
            ticks += 1
        assert ticks > 3
        # And it claims again once the job has ended
        step_until(worker, lambda: job.refresh().state == JobState.SUCCEEDED)
        assert worker._came_up_empty != last_claim


def test_a_job_that_finds_the_offer_taken_is_claimed_at_once(app: App) -> None:
    with idle_and_rarely_polling(app) as worker:
        # When two jobs are enqueued back to back: the first takes the offer, the second
        # finds it taken, is queued, and wakes the worker, which hears of both at once
        first = app.tasks["nap"].enqueue(0.4)
        second = app.tasks["nap"].enqueue(0.0)
        assert claimed_by_the_producer(app, first.id, worker.worker_id)
        assert app.store.get_job(second.id).state == JobState.QUEUED  # type: ignore[union-attr]
        hear(worker)

        # Then the second is claimed and run at once, beside the first: the wake-up that
        # came with the handed job is not taken for it (the worker now sleeps until a runner
        # reports or a producer wakes it, as in `Supervisor.run`)
        deadline = time.monotonic() + TIMEOUT
        while {first.refresh().state, second.refresh().state} != {JobState.SUCCEEDED}:
            assert time.monotonic() < deadline, f"the jobs did not run within {TIMEOUT}s"
            worker.step()
        finished_first, started_second = app.store.get_job(first.id), app.store.get_job(second.id)
        assert finished_first is not None and started_second is not None
        assert finished_first.finished_at is not None and started_second.started_at is not None
        assert started_second.started_at < finished_first.finished_at
