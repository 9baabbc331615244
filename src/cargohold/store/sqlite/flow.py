"""The SQLite store's flow-control verbs (see `cargohold.store.flow`). Every write runs in
one BEGIN IMMEDIATE transaction, which serializes it with every other writer: counting the
slots or grants held and adding one is a single step."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from cargohold.errors import QueueFullError
from cargohold.records import (
    Enqueued,
    NewJob,
    QueueControl,
    RateDecision,
    RateRequest,
    SlotHolder,
    SlotRequest,
)
from cargohold.states import JobState
from cargohold.store.flow import enqueue_params, rate_wait
from cargohold.store.sqlite.connection import SQLiteConnection
from cargohold.store.sqlite.connection import sql as _sql


class SQLiteFlow(SQLiteConnection):
    """Mixed into `SQLiteStore`."""

    # -- concurrency limits ------------------------------------------------------------------

    def acquire_slot(self, request: SlotRequest, now: float) -> bool:
        params = {
            "token": request.token,
            "name": request.name,
            "key": request.key,
            "concurrency": request.concurrency,
            "holder": request.holder,
            "lease": request.lease,
            "now": now,
        }
        with self._write() as connection:
            held = connection.execute(_sql("slot_count"), params).fetchone()["n"]
            if held >= request.concurrency:
                return False
            connection.execute(_sql("slot_insert"), params)
        return True

    def extend_slots(self, tokens: Sequence[str], lease: float, now: float) -> frozenset[str]:
        if not tokens:
            return frozenset()
        params = {"tokens": json.dumps(list(tokens)), "lease": lease, "now": now}
        with self._write() as connection:
            rows = connection.execute(_sql("slot_extend"), params).fetchall()
        return frozenset(row["token"] for row in rows)

    def release_slots(self, tokens: Sequence[str]) -> int:
        if not tokens:
            return 0
        with self._write() as connection:
            cursor = connection.execute(_sql("slot_release"), {"tokens": json.dumps(list(tokens))})
            return cursor.rowcount

    def limit_holders(self, name: str, key: str, now: float) -> list[SlotHolder]:
        rows = self._read(_sql("slot_holders"), {"name": name, "key": key, "now": now})
        return [SlotHolder(**dict(row)) for row in rows]

    # -- rate limits -------------------------------------------------------------------------

    def acquire_rate(self, requests: Sequence[RateRequest], now: float) -> RateDecision:
        with self._write() as connection:
            at = now
            for request in requests:
                latest = connection.execute(_sql("rate_latest"), _rate(request)).fetchone()["at"]
                at = max(at, latest or at)
            wait = 0.0
            for request in requests:
                params = {**_rate(request), "since": at - request.period, "at": at}
                connection.execute(_sql("rate_prune"), params)
                window = [row["at"] for row in connection.execute(_sql("rate_window"), params)]
                wait = max(wait, rate_wait(window, request, at))
            if wait > 0:
                return RateDecision(granted=False, at=at, wait=wait)
            for request in requests:
                connection.execute(_sql("rate_grant"), {**_rate(request), "at": at})
        return RateDecision(granted=True, at=at, wait=0.0)

    # -- queues ------------------------------------------------------------------------------

    def set_queue_paused(self, queue: str, paused: bool, now: float) -> bool:
        with self._write() as connection:
            row = connection.execute(
                _sql("queue_set_paused"), {"name": queue, "paused": int(paused), "now": now}
            ).fetchone()
        if row is not None and not paused:
            self._notifier.notify()
        return row is not None

    def queue_controls(self) -> list[QueueControl]:
        return [
            QueueControl(row["name"], bool(row["paused"]), row["changed_at"])
            for row in self._read(_sql("queue_controls"))
        ]

    # -- periodic jobs -----------------------------------------------------------------------

    def fire_periodic(self, name: str, slot: float, job: NewJob, now: float) -> Enqueued | None:
        params = {"name": name, "slot": slot, "now": now}
        ready = False
        with self._write() as connection:
            if connection.execute(_sql("periodic_get"), params).fetchone() is None:
                connection.execute(_sql("periodic_start"), params)
                return None
            if connection.execute(_sql("periodic_advance"), params).fetchone() is None:
                return None
            enqueued, ready = _insert_one(connection.cursor(), job, now)
        if ready:
            self._notifier.notify()
        return enqueued


def full_queue(cursor: sqlite3.Cursor, job: NewJob) -> Enqueued | None:
    """Refuse `job` with QueueFullError if its queue holds `max_depth` waiting jobs; the
    existing job if its key is taken (then the queue's depth does not matter)."""
    if job.key is not None:
        existing = cursor.execute(_sql("find_key"), {"key": job.key}).fetchone()
        if existing is not None:
            return Enqueued(existing[0], created=False)
    depth = cursor.execute(_sql("queue_depth"), {"queue": job.queue}).fetchone()[0]
    if job.max_depth is not None and depth >= job.max_depth:
        raise QueueFullError.of(job.queue, job.max_depth)
    return None


def _insert_one(cursor: sqlite3.Cursor, job: NewJob, now: float) -> tuple[Enqueued, bool]:
    """Write one job (a periodic firing) in the open transaction; (its id, whether ready)."""
    if job.max_depth is not None:
        existing = full_queue(cursor, job)
        if existing is not None:
            return existing, False
    row = cursor.execute(_sql("enqueue"), enqueue_params(job, now)).fetchone()
    if row is None:
        existing_row = cursor.execute(_sql("find_key"), {"key": job.key}).fetchone()
        return Enqueued(existing_row[0], created=False), False
    state = row[1]
    cursor.execute(
        _sql("insert_event"),
        {
            "job_id": job.id,
            "at": now,
            "kind": "enqueued",
            "state": state,
            "attempt": 0,
            "lease_token": None,
            "worker_id": None,
            "reason": None,
        },
    )
    return Enqueued(job.id, created=True), state == JobState.QUEUED


def _rate(request: RateRequest) -> dict[str, Any]:
    return {
        "name": request.name,
        "key": request.key,
        "limit": request.limit,
        "period": request.period,
    }
