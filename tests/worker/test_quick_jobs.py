"""Quick jobs: the worker claims them ahead, lines them up in its runners, and groups their
outcomes. A real supervisor and real runner processes on a real SQLite file."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from cargohold import App, JobState
from cargohold.records import JobFilter, JobRecord
from cargohold.worker.runners import FOLLOWING_DEPTH
from cargohold.worker.supervisor import Supervisor

JOBS = 400


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    app = App(f"sqlite:///{tmp_path / 'quick.db'}")

    @app.task(retries=0)
    def echo(n: int) -> int:
        return n

    @app.task(retries=0, memory="16MiB")  # known: claimed in batches from the start
    def die_at(n: int, victim: int) -> int:
        if n == victim:
            os.kill(os.getpid(), signal.SIGKILL)
        return n

    yield app
    app.close()


class Watch:
    """Runs a supervisor and notes the most jobs it ever held ahead."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.most_lined_up = 0
        self.most_following = 0

    def step(self) -> None:
        self.supervisor.step(max_wait=0.05)
        following = [len(runner.following) for runner in self.supervisor.pool.runners]
        self.most_following = max([self.most_following, *following])
        self.most_lined_up = max(self.most_lined_up, len(self.supervisor.line))


def unfinished(app: App) -> int:
    return sum(
        number
        for queue in app.store.count_jobs().values()
        for state, number in queue.by_state.items()
        if not state.is_terminal
    )


def run_until_done(app: App, watch: Watch, steps: int = 20_000) -> None:
    watch.supervisor.start()
    try:
        for _ in range(steps):
            watch.step()
            if unfinished(app) == 0:
                return
        raise AssertionError(f"{unfinished(app)} jobs left unfinished")
    finally:
        watch.supervisor.shutdown()


def all_jobs(app: App) -> list[JobRecord]:
    return app.store.find_jobs(JobFilter(limit=JOBS + 10))


def test_quick_jobs_are_claimed_ahead_lined_up_and_run_once(app: App) -> None:
    app.tasks["echo"].enqueue_many([[n] for n in range(JOBS)])
    watch = Watch(app.worker(concurrency=2, poll_interval=0.05))
    run_until_done(app, watch)
    assert watch.most_lined_up > 0 and watch.most_following > 0
    records = all_jobs(app)
    assert len(records) == JOBS
    assert {record.state for record in records} == {JobState.SUCCEEDED}
    assert {record.attempt for record in records} == {1}
    assert sorted(int(record.result or "-1") for record in records) == list(range(JOBS))
    # Each ran once: one claim and one success apiece, no hand-backs.
    kinds = [event.kind for record in records[:50] for event in app.store.job_events(record.id)]
    assert kinds.count("claimed") == kinds.count("succeeded") == 50


def test_a_runner_dying_with_jobs_lined_up_hands_them_back_uncounted(app: App) -> None:
    victim = 0  # the first in line: the jobs sent to follow it cannot have started
    app.tasks["die_at"].enqueue_many([[n, victim] for n in range(JOBS)])
    supervisor = app.worker(concurrency=1, poll_interval=0.05)
    supervisor.pace.observe(0.001)  # as if its jobs were known to be quick
    watch = Watch(supervisor)
    run_until_done(app, watch)
    assert watch.most_following > 0
    records = all_jobs(app)
    by_argument = {json.loads(record.args)["args"][0]: record for record in records}
    dead = by_argument.pop(victim)
    assert dead.state == JobState.FAILED and "SIGKILL" in (dead.error or "")
    assert {record.state for record in by_argument.values()} == {JobState.SUCCEEDED}
    # Jobs lined up behind the victim went back to the queue without using an attempt.
    assert {record.attempt for record in by_argument.values()} == {1}
    handed_back = [
        number
        for number, record in by_argument.items()
        if "handed_back" in [event.kind for event in app.store.job_events(record.id)]
    ]
    assert len(handed_back) == FOLLOWING_DEPTH


def test_stopping_hands_back_what_waits_in_the_line(app: App) -> None:
    app.tasks["echo"].enqueue_many([[n] for n in range(JOBS)])
    supervisor = app.worker(concurrency=2, poll_interval=0.05)
    watch = Watch(supervisor)
    supervisor.start()
    try:
        while watch.most_lined_up == 0 and unfinished(app):
            watch.step()
        supervisor.request_stop()
        while not supervisor.stopped:
            supervisor.step(max_wait=0.05)
    finally:
        supervisor.shutdown()
    assert app.store.count_jobs()["default"][JobState.RUNNING] == 0
    left = [record for record in all_jobs(app) if record.state == JobState.QUEUED]
    assert left and {record.attempt for record in left} == {0}
    # Another worker finishes them.
    run_until_done(app, Watch(app.worker(concurrency=1, poll_interval=0.05)))
    assert {record.state for record in all_jobs(app)} == {JobState.SUCCEEDED}
