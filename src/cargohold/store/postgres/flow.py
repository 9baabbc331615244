"""The PostgreSQL store's flow-control verbs (see `cargohold.store.flow`). A transaction that
may add a slot takes one advisory lock first (`limits_lock`, also taken by claims of workers
that know limits); one that may add a rate grant takes the lock of that rate and key. Counting
what is held and adding one are then a single step, as on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cargohold.records import (
    Enqueued,
    NewJob,
    QueueControl,
    RateDecision,
    RateRequest,
    SlotHolder,
    SlotRequest,
)
from cargohold.store.flow import rate_wait
from cargohold.store.postgres import producing
from cargohold.store.postgres.database import Tx

if TYPE_CHECKING:
    from cargohold.store.postgres.database import Database


class PostgresFlow:
    """Mixed into `PostgresStore`."""

    if TYPE_CHECKING:
        _database: Database

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

        def work(tx: Tx) -> bool:
            if tx.commit_unknown and tx.rows("slot_extend", {**params, "tokens": [request.token]}):
                return True  # an earlier try of this call took it
            tx.one("limits_lock")
            held = tx.one("slot_count", params)
            assert held is not None
            if held["n"] >= request.concurrency:
                return False
            tx.run("slot_insert", params)
            return True

        return self._database.transaction(work, what="acquire_slot")

    def extend_slots(self, tokens: Sequence[str], lease: float, now: float) -> frozenset[str]:
        if not tokens:
            return frozenset()
        params = {"tokens": list(tokens), "lease": lease, "now": now}
        rows = self._database.transaction(
            lambda tx: tx.rows("slot_extend", params), what="extend_slots"
        )
        return frozenset(row["token"] for row in rows)

    def release_slots(self, tokens: Sequence[str]) -> int:
        if not tokens:
            return 0
        params = {"tokens": list(tokens)}
        return self._database.transaction(
            lambda tx: tx.run("slot_release", params), what="release_slots"
        )

    def limit_holders(self, name: str, key: str, now: float) -> list[SlotHolder]:
        params = {"name": name, "key": key, "now": now}
        rows = self._database.transaction(
            lambda tx: tx.rows("slot_holders", params), what="limit_holders"
        )
        return [SlotHolder(**row) for row in rows]

    # -- rate limits -------------------------------------------------------------------------

    def acquire_rate(self, requests: Sequence[RateRequest], now: float) -> RateDecision:
        def work(tx: Tx) -> RateDecision:
            for lock in sorted({f"cargohold:rate:{r.name}:{r.key}" for r in requests}):
                tx.one("named_lock", {"lock": lock})  # one order for all: no deadlock
            at = now
            for request in requests:
                latest = tx.one("rate_latest", _rate(request))
                assert latest is not None
                at = max(at, latest["at"] or at)
            wait = 0.0
            for request in requests:
                params = {**_rate(request), "since": at - request.period, "at": at}
                tx.run("rate_prune", params)
                window = [row["at"] for row in tx.rows("rate_window", params)]
                wait = max(wait, rate_wait(window, request, at))
            if wait > 0:
                return RateDecision(granted=False, at=at, wait=wait)
            for request in requests:
                tx.run("rate_grant", {**_rate(request), "at": at})
            return RateDecision(granted=True, at=at, wait=0.0)

        # Not idempotent: a commit lost in flight must not grant twice.
        return self._database.transaction(work, what="acquire_rate", idempotent=False)

    # -- queues ------------------------------------------------------------------------------

    def set_queue_paused(self, queue: str, paused: bool, now: float) -> bool:
        params = {"name": queue, "paused": paused, "now": now}

        def work(tx: Tx) -> bool:
            changed = tx.one("queue_set_paused", params) is not None
            if changed and not paused:
                tx.notify([queue])
            return changed

        return self._database.transaction(work, what="set_queue_paused")

    def queue_controls(self) -> list[QueueControl]:
        rows = self._database.transaction(
            lambda tx: tx.rows("queue_controls"), what="queue_controls"
        )
        return [QueueControl(row["name"], bool(row["paused"]), row["changed_at"]) for row in rows]

    # -- periodic jobs -----------------------------------------------------------------------

    def fire_periodic(self, name: str, slot: float, job: NewJob, now: float) -> Enqueued | None:
        params = {"name": name, "slot": slot, "now": now}

        def work(tx: Tx) -> Enqueued | None:
            if tx.commit_unknown:  # an earlier try may have fired it: the job says
                existing = tx.one("find_existing", {"id": job.id, "key": job.key})
                if existing is not None:
                    return Enqueued(existing["id"], created=existing["id"] == job.id)
            if tx.one("periodic_get", params) is None:
                tx.run("periodic_start", params)
                return None
            if tx.one("periodic_advance", params) is None:
                return None
            return producing.enqueue(tx, [job], now)[0]

        return self._database.transaction(work, what="fire_periodic")


def _rate(request: RateRequest) -> dict[str, Any]:
    return {
        "name": request.name,
        "key": request.key,
        "limit": request.limit,
        "period": request.period,
    }
