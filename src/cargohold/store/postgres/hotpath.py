"""The worker's hot path inside one transaction: claim jobs, persist outcomes, learn from
successes. Each function can run again after a COMMIT whose fate is unknown (`Tx.commit_unknown`)
without applying anything twice."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cargohold.memory.admission import RUNNER_OVERHEAD, MemoryOffer, learned_reservation, remember
from cargohold.outcome import Succeeded
from cargohold.records import Ack, Claim
from cargohold.states import JobState
from cargohold.store.flow import capacities_json, refs_json
from cargohold.store.postgres import rows
from cargohold.store.postgres.database import Tx


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    worker_id: str
    queues: Sequence[str] | None
    limit: int
    lease: float
    now: float
    memory: MemoryOffer | None = None
    limits: Mapping[str, int] | None = None
    """The concurrency of each limit this worker knows; jobs under other limits are left."""
    batch: str = field(default_factory=lambda: secrets.token_hex(4))
    """Every lease token of this claim starts with it, so the claim can be found again."""

    def params(self) -> dict[str, Any]:
        return {
            "worker_id": self.worker_id,
            "queues": None if self.queues is None else list(self.queues),
            "limit": self.limit,
            "lease": self.lease,
            "now": self.now,
            "batch": self.batch,
            "overhead": RUNNER_OVERHEAD,
            "limits": capacities_json(self.limits),
        }


def claim(tx: Tx, request: ClaimRequest) -> list[Claim]:
    if request.limit <= 0:
        return []
    params = request.params()
    if tx.commit_unknown:  # what this very claim took, if its commit landed
        return [rows.claim(row) for row in tx.rows("claim_recover", params)]
    if request.limits:  # counting a limit's slots and taking one must be one step
        tx.one("limits_lock")
    if request.memory is not None:
        return _claim_fitting(tx, params, request.limit, request.memory)
    # Jobs under no limit in one statement, then those under limits one by one.
    name = "claim" if request.queues is None else "claim_from_queues"
    claims = [rows.claim(row) for row in tx.rows(name, params)]
    if request.limits and len(claims) < request.limit:
        claims += _claim_fitting(tx, params, request.limit - len(claims), None)
    return claims


UNBOUNDED = 2**62
"""Memory offered to a claim that is not limited by memory."""


def _claim_fitting(
    tx: Tx, params: dict[str, Any], limit: int, memory: MemoryOffer | None
) -> list[Claim]:
    """Claim one job at a time, each the first in line whose need fits what is left (a
    smaller job may pass a larger one that does not fit) and whose limits have a free slot,
    which it takes at once: the next job in line sees it taken."""
    claims: list[Claim] = []
    free, unknown_need = (UNBOUNDED, 0) if memory is None else (memory.free, memory.unknown_need)
    while len(claims) < limit and free > 0:
        row = tx.one("claim_fitting", {**params, "free": free, "unknown_need": unknown_need})
        if row is None:
            break
        claimed = rows.claim(row)
        claims.append(claimed)
        if claimed.limits:
            tx.run(
                "claim_slots",
                {
                    **params,
                    "lease_token": claimed.lease_token,
                    "job_id": claimed.id,
                    "job_limits": refs_json(claimed.limits),
                },
            )
        if memory is not None:
            free -= unknown_need if claimed.need is None else claimed.need
            unknown_need = free + 1  # a never-measured task only ever starts alone
    return claims


def ack(tx: Tx, worker_id: str, acks: Sequence[Ack], now: float) -> list[bool]:
    accepted: list[bool] = []
    ready: list[str] = []
    learned: dict[str, list[tuple[int | None, float]]] = {}
    if acks:  # an attempt's end, whatever it was, frees the slots it held
        tx.run("slot_release", {"tokens": [one.lease_token for one in acks]})
    for one in acks:
        name, params = rows.ack_statement(one, worker_id, now)
        row = tx.one(name, params)
        if row is None:
            # Refused, unless an earlier try of this very call landed it.
            accepted.append(tx.commit_unknown and tx.one("ack_landed", params) is not None)
            continue
        accepted.append(True)
        if row["state"] == JobState.QUEUED:
            ready.append(row["queue"])
        if isinstance(one.outcome, Succeeded):
            duration = now - row["started_at"] if one.duration is None else one.duration
            run = (one.peak_memory, duration)
            learned.setdefault(row["task"], []).append(run)
    for task in sorted(learned):  # one lock order for every worker: no deadlock
        _learn(tx, task, learned[task], now)
    tx.notify(ready)
    return accepted


def _learn(tx: Tx, task: str, runs: list[tuple[int | None, float]], now: float) -> None:
    """Remember successful runs' peak memory and duration for their task."""
    row = tx.one("lock_task_stats", {"task": task, "now": now})
    assert row is not None
    peaks: list[int] = list(row["peaks"])
    durations: list[float] = list(row["durations"])
    for peak, duration in runs:
        if peak is not None:
            peaks = [int(p) for p in remember(peaks, peak)]
        durations = remember(durations, round(duration, 6))
    tx.run(
        "save_task_stats",
        {
            "task": task,
            "peaks": peaks,
            "durations": durations,
            "learned_memory": learned_reservation(peaks),
            "now": now,
        },
    )
