"""A wake-up heard while a claim was in flight on a committer thread was once lost: the
claim came back short (it did not see the new job), the worker took that for an empty queue,
and the job waited for the next poll. A real supervisor and real runners on a real SQLite
file, whose write lock the test holds to keep that claim in flight."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from cargohold import App, JobState
from cargohold.store.sqlite.connection import database_path
from cargohold.store.sqlite.wakeup import Notifier, wakeup_folder
from tests.processes import wait_for
from tests.worker.test_group_commit import commits_held, count


def test_a_wake_up_heard_while_a_claim_is_in_flight_is_not_lost(tmp_path: Path) -> None:
    # Given an idle worker of quick jobs that polls only every 30 s
    store_url = f"sqlite:///{tmp_path / 'jobs.db'}"
    app = App(store_url)

    @app.task
    def noop() -> None:
        pass

    noop.enqueue_many([[]] * 40)
    supervisor = app.worker(
        concurrency=2, poll_interval=30.0, lease=300.0, heartbeat=60.0, rescue_interval=60.0
    )
    supervisor.start()
    try:
        while count(app, JobState.SUCCEEDED) < 40 or supervisor.unpersisted:
            supervisor.step(max_wait=0.05)
        assert supervisor.pace.quick
        # When it ran one more job, and persists its outcome with a claim that finds the
        # queue empty, and a producer's wake-up comes while that transaction waits (the job
        # has a key, so it is not handed to the worker's standing offer: it wakes the worker,
        # which claims it)
        noop.options(key="one-more").enqueue()
        while not (supervisor.running_jobs or supervisor.unpersisted):  # claimed
            supervisor.step(max_wait=0.05)
        with commits_held(store_url):
            lane = supervisor._outcomes_lane
            while lane.round is None or not (lane.round.acks and lane.round.wanted):
                supervisor.step(max_wait=0.05)
            heard = supervisor._waiter.wakeups
            Notifier(wakeup_folder(database_path(store_url))).notify()
            while supervisor._waiter.wakeups == heard:
                supervisor.step(max_wait=0.05)
        wait_for(lambda: lane.done, 30, "the claim did not end")
        # (the job that wake-up was for, committed once that claim was done, by a producer
        # whose own transaction wakes nobody)
        connection = sqlite3.connect(database_path(store_url))
        try:
            connection.execute("BEGIN")
            late = noop.enqueue(connection=connection)
            connection.commit()
        finally:
            connection.close()
        # Then the worker claims again at once instead of sleeping until its next poll
        started = time.monotonic()
        while late.refresh().state != JobState.SUCCEEDED:
            supervisor.step(max_wait=3.0)
            assert time.monotonic() - started < 2.0, "the job waited for the next poll"
    finally:
        supervisor.shutdown()
        app.close()
