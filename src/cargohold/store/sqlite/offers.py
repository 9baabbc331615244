"""Standing offers on SQLite (0005_offers.sql): an idle worker offers to run the next job, and
the producer's own write transaction claims that job for it, to be sent on the worker's
wake-up socket once committed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from cargohold.ids import new_lease_token
from cargohold.memory.admission import RUNNER_OVERHEAD, MemoryOffer
from cargohold.records import Claim, NewJob
from cargohold.states import JobState
from cargohold.store.flow import enqueue_params
from cargohold.store.handing import offer_params
from cargohold.store.sqlite.connection import SQLiteConnection
from cargohold.store.sqlite.connection import sql as _sql
from cargohold.store.sqlite.events import insert_event
from cargohold.store.sqlite.hotpath import claim_of
from cargohold.store.sqlite.wakeup import handed_marker


@dataclass(frozen=True, slots=True)
class Handed:
    """A job written claimed for the worker whose offer it took: the claim to send it, on
    the wake-up socket named `marker`, once the transaction has committed."""

    marker: str
    claim: Claim


def hand_to_offer(cursor: sqlite3.Cursor, job: NewJob, now: float) -> Handed | None:
    """In the producer's write transaction: if a standing offer fits `job` (which must be one
    `may_take_offer` allows), take it and write the job claimed for its worker, with its
    events; None (nothing written) if no offer fits."""
    params = {**enqueue_params(job, now), "overhead": RUNNER_OVERHEAD}
    offer = cursor.execute(_sql("offer_find"), params).fetchone()
    if offer is None:
        return None
    worker_id, lease_token = offer["worker_id"], offer["lease_token"]
    cursor.execute(_sql("offer_take"), {"worker_id": worker_id})
    cursor.execute(
        _sql("enqueue_handed"),
        {**params, "worker_id": worker_id, "lease_token": lease_token, "lease": offer["lease"]},
    )
    insert_event(cursor, job.id, now, "enqueued", JobState.QUEUED, 0)
    insert_event(cursor, job.id, now, "claimed", JobState.RUNNING, 1, lease_token, worker_id)
    claim = Claim(
        job.id,
        job.task,
        job.queue,
        job.args,
        1,
        job.max_attempts,
        0,
        0,
        lease_token,
        job.timeout,
        offer["need"],
    )
    return Handed(offer["marker"], claim)


class SQLiteOffers(SQLiteConnection):
    """Mixed into `SQLiteStore`."""

    def stand_offer(
        self,
        worker_id: str,
        queues: Sequence[str] | None,
        memory: MemoryOffer,
        lease: float,
        now: float,
        until: float,
    ) -> str | None:
        lease_token = new_lease_token()
        params = {
            **offer_params(worker_id, lease_token, memory, lease, until),
            "marker": handed_marker(worker_id),
            "queues": None if queues is None else json.dumps(list(queues)),
        }
        # An offer lost in a power cut is one no job took: it need not wait for the disk.
        with self._write(synced=False) as connection:
            connection.execute(_sql("offer_stand"), params)
        return lease_token

    def withdraw_offer(self, worker_id: str, lease_token: str) -> Claim | None:
        params = {"worker_id": worker_id, "lease_token": lease_token, "overhead": RUNNER_OVERHEAD}
        with self._write(synced=False) as connection:
            if connection.execute(_sql("offer_withdraw"), params).fetchone() is not None:
                return None
            taken = connection.execute(_sql("offer_taken"), params).fetchone()
        return None if taken is None else claim_of(taken)
