"""Writing new jobs on SQLite: in a transaction of the store's own, or in the caller's open
transaction on the caller's sqlite3 connection (transactional enqueue). A job ready now wakes
idle workers once its transaction has committed; a single job may instead be handed to an
idle worker's standing offer (offers.py) and sent to it."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from cargohold.records import Enqueued, NewJob
from cargohold.states import JobState
from cargohold.store.flow import enqueue_params
from cargohold.store.handing import may_take_offer
from cargohold.store.sqlite.connection import SQLiteConnection
from cargohold.store.sqlite.connection import sql as _sql
from cargohold.store.sqlite.events import insert_event
from cargohold.store.sqlite.flow import full_queue
from cargohold.store.sqlite.joined import joined_cursor
from cargohold.store.sqlite.offers import hand_to_offer


class SQLiteProducing(SQLiteConnection):
    """Mixed into `SQLiteStore`."""

    def enqueue(self, jobs: Sequence[NewJob], now: float) -> list[Enqueued]:
        jobs = list(jobs)  # jobs made on demand are made before the write lock is taken
        handed = None
        with self._write() as connection:
            cursor = connection.cursor()
            if len(jobs) == 1 and may_take_offer(jobs[0], now):
                handed = hand_to_offer(cursor, jobs[0], now)
            if handed is None:
                results, ready = self._insert_jobs(cursor, jobs, now)
        if handed is not None:
            self._notifier.hand(handed.marker, handed.claim)
            return [Enqueued(jobs[0].id, created=True)]
        if ready:
            self._notifier.notify()
        return results

    def enqueue_in(self, connection: object, jobs: Sequence[NewJob], now: float) -> list[Enqueued]:
        """Write jobs with the caller's sqlite3 connection, in the caller's transaction. The
        caller commits, so idle workers find these jobs by polling, not by a wake-up."""
        cursor = joined_cursor(connection, self.path)
        return self._insert_jobs(cursor, jobs, now)[0]

    def _insert_jobs(
        self, cursor: sqlite3.Cursor, jobs: Sequence[NewJob], now: float
    ) -> tuple[list[Enqueued], bool]:
        """Write `jobs`; (their ids, whether one of them is ready to run now)."""
        cursor.row_factory = sqlite3.Row
        results = []
        ready = False
        for job in jobs:
            if job.max_depth is not None:
                existing = full_queue(cursor, job)
                if existing is not None:  # its key is taken: the queue's depth does not matter
                    results.append(existing)
                    continue
            row = cursor.execute(_sql("enqueue"), enqueue_params(job, now)).fetchone()
            if row is None:
                existing = cursor.execute(_sql("find_key"), {"key": job.key}).fetchone()
                results.append(Enqueued(existing["id"], created=False))
                continue
            state = row["state"]
            insert_event(cursor, job.id, now, "enqueued", state, 0)
            ready = ready or state == JobState.QUEUED
            results.append(Enqueued(job.id, created=True))
        return results, ready
