"""The worker's hot path inside one transaction: claim jobs, persist outcomes, learn from
successes. Each function can run again after a COMMIT whose fate is unknown (`Tx.commit_unknown`)
without applying anything twice.

A claim in a transaction of its own (an idle worker's) starts with `claim_head`, one statement
committed on its own, and goes on with `claim` in a transaction only when that statement left
jobs it could not decide on."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cargohold.memory.admission import (
    RUNNER_OVERHEAD,
    MemoryOffer,
    learned_reservation,
    remember_all,
)
from cargohold.records import Ack, Claim, LimitRef
from cargohold.states import JobState
from cargohold.store import fitting
from cargohold.store.fitting import InLine
from cargohold.store.flow import capacities_json, refs_json
from cargohold.store.postgres import rows
from cargohold.store.postgres.database import Tx


def new_batch() -> str:
    return secrets.token_hex(4)


def offer_lease_token() -> str:
    """The lease token of a standing offer, which the job that takes it is claimed under:
    as a claim's (a batch, then 16 random hex digits)."""
    return new_batch() + secrets.token_hex(8)


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
    batch: str = field(default_factory=new_batch)
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


@dataclass(frozen=True, slots=True)
class Head:
    """What `claim_head` claimed, and what is left to claim in a transaction (None: nothing)."""

    claims: list[Claim]
    rest: ClaimRequest | None


def claim_head(tx: Tx, request: ClaimRequest) -> Head:
    """The first jobs in line that fit and are under no limit, in one statement that is a
    transaction of its own, on a connection whose session has the claim's settings
    (claim_session.sql). If it left jobs it locked (one did not fit, or came after a job of
    unknown need, or is under limits), or more may wait further back, `rest` asks `claim` to
    go on with a fresh batch and what is left of the limit and the offer."""
    if request.limit <= 0:
        return Head([], None)
    params = request.params()
    if tx.commit_unknown:  # what this very statement took, if it committed
        return Head([rows.claim(row) for row in tx.rows("claim_recover", params)], None)
    offer = request.memory
    if offer is None:
        name = "claim" if request.queues is None else "claim_from_queues"
        claims = [rows.claim(row) for row in tx.rows(name, params)]
        more = bool(request.limits) and len(claims) < request.limit  # jobs under limits
        return Head(claims, _rest(request, claims, None) if more else None)
    if offer.free <= 0:
        return Head([], None)
    claims, line = _window(tx, params, offer)
    rest = _rest_of_offer(offer, claims)
    if not line or len(claims) == request.limit or rest.free <= 0:
        return Head(claims, None)
    return Head(claims, _rest(request, claims, rest))


def _window(tx: Tx, params: dict[str, Any], offer: MemoryOffer) -> tuple[list[Claim], list[InLine]]:
    """Run `claim_window`: the jobs it claimed, and those it locked and left, in line order."""
    found = tx.tuples(
        "claim_window", {**params, "free": offer.free, "unknown_need": offer.unknown_need}
    )
    claims: list[Claim] = []
    line: list[InLine] = []
    for row in found:
        job = rows.window(row)
        if isinstance(job, Claim):
            claims.append(job)
        else:
            line.append(job)
    return claims, line


def _rest(request: ClaimRequest, claims: list[Claim], memory: MemoryOffer | None) -> ClaimRequest:
    return replace(request, limit=request.limit - len(claims), memory=memory, batch=new_batch())


def _rest_of_offer(offer: MemoryOffer, claims: list[Claim]) -> MemoryOffer:
    """What is left of `offer` once `claims` are counted in; a never-measured task only ever
    starts alone."""
    free = offer.free - sum(offer.unknown_need if c.need is None else c.need for c in claims)
    return MemoryOffer(free=free, unknown_need=free + 1 if claims else offer.unknown_need)


def claim(tx: Tx, request: ClaimRequest, *, settings: bool = True) -> list[Claim]:
    """`settings=False`: the connection's session has the claim's settings already."""
    if request.limit <= 0:
        return []
    params = request.params()
    if tx.commit_unknown:  # what this very claim took, if its commit landed
        return [rows.claim(row) for row in tx.rows("claim_recover", params)]
    if request.limits:  # counting a limit's slots and taking one must be one step
        tx.one("limits_lock")
    if settings:
        tx.one("claim_settings")
    if request.memory is not None:
        return _claim_window(tx, params, request)
    # Jobs under no limit in one statement, then those under limits one by one.
    name = "claim" if request.queues is None else "claim_from_queues"
    claims = [rows.claim(row) for row in tx.rows(name, params)]
    if request.limits and len(claims) < request.limit:
        claims += _claim_fitting(tx, params, request.limit - len(claims), None)
    return claims


def _claim_window(tx: Tx, params: dict[str, Any], request: ClaimRequest) -> list[Claim]:
    """Claim the first jobs in line whose needs add up within the offer in one statement,
    the common case. If that run ended early (a job did not fit, a job under limits), go on
    through the jobs it locked (`fitting.choose`) and, if jobs may wait further back, look
    for them one by one with what is left of the offer."""
    offer = request.memory
    assert offer is not None
    if offer.free <= 0:
        return []
    claims, line = _window(tx, params, offer)
    if len(claims) == request.limit:
        return claims
    found = len(claims) + len(line)
    rest = _rest_of_offer(offer, claims)
    held = _slots_held(tx, line, request) if request.limits else None
    choice = fitting.choose(line, request.limit - len(claims), rest, request.limits, held)
    claims += _take(tx, params, choice.taken)
    wanted = request.limit - len(claims)
    if wanted > 0 and found == request.limit and choice.rest.free > 0:
        claims += _claim_fitting(tx, params, wanted, choice.rest, taken=len(claims))
    return claims


def _slots_held(tx: Tx, line: list[InLine], request: ClaimRequest) -> dict[LimitRef, int]:
    """The live slots of every limit (and key) a job of `line` is under."""
    refs = sorted({ref for job in line for ref in job.limits})
    if not refs:
        return {}
    found = tx.rows(
        "slot_counts",
        {"names": [n for n, _ in refs], "keys": [k for _, k in refs], "now": request.now},
    )
    return {(row["name"], row["key"]): row["n"] for row in found}


def _take(tx: Tx, params: dict[str, Any], taken: Sequence[InLine]) -> list[Claim]:
    """Move the chosen jobs to running (with their events), and take their slots."""
    if not taken:
        return []
    ids, needs = [job.id for job in taken], [job.need for job in taken]
    found = {
        row["id"]: rows.claim(row)
        for row in tx.rows("claim_chosen", {**params, "ids": ids, "needs": needs})
    }
    claims = [found[job_id] for job_id in ids if job_id in found]  # in line order
    for claimed in claims:
        if claimed.limits:
            _take_slots(tx, params, claimed)
    return claims


def _take_slots(tx: Tx, params: dict[str, Any], claimed: Claim) -> None:
    tx.run(
        "claim_slots",
        {
            **params,
            "lease_token": claimed.lease_token,
            "job_id": claimed.id,
            "job_limits": refs_json(claimed.limits),
        },
    )


UNBOUNDED = 2**62
"""Memory offered to a claim that is not limited by memory."""


def _claim_fitting(
    tx: Tx, params: dict[str, Any], limit: int, memory: MemoryOffer | None, taken: int = 0
) -> list[Claim]:
    """Claim one job at a time, each the first in line whose need fits what is left (a
    smaller job may pass a larger one that does not fit) and whose limits have a free slot,
    which it takes at once: the next job in line sees it taken. With a memory offer, only
    the first `CLAIM_HORIZON` jobs of the line as the transaction found it are looked at,
    `taken` of which it has claimed already."""
    claims: list[Claim] = []
    free, unknown_need = (UNBOUNDED, 0) if memory is None else (memory.free, memory.unknown_need)
    while len(claims) < limit and free > 0:
        # The jobs claimed have left the line: the horizon's last job is as many places nearer.
        horizon = None if memory is None else fitting.CLAIM_HORIZON - taken - len(claims)
        if horizon is not None and horizon <= 0:
            break
        row = tx.one(
            "claim_fitting",
            {**params, "free": free, "unknown_need": unknown_need, "horizon": horizon},
        )
        if row is None:
            break
        claimed = rows.claim(row)
        claims.append(claimed)
        if claimed.limits:
            _take_slots(tx, params, claimed)
        if memory is not None:
            free -= unknown_need if claimed.need is None else claimed.need
            unknown_need = free + 1  # a never-measured task only ever starts alone
    return claims


def ack(tx: Tx, worker_id: str, acks: Sequence[Ack], now: float) -> list[bool]:
    """One statement per kind of outcome, then one for the statistics of the tasks that
    succeeded."""
    accepted = [False] * len(acks)
    first: dict[tuple[str, str], int] = {}  # a later outcome of the same attempt is refused
    for index, one in enumerate(acks):
        first.setdefault((one.job_id, one.lease_token), index)
    by_kind: dict[str, list[int]] = {}
    for _, index in sorted(first.items()):  # jobs locked in id order by every worker
        by_kind.setdefault(rows.ack_kind(acks[index]), []).append(index)
    ready: list[str] = []
    learned: dict[str, TaskRuns] = {}
    for kind, indexes in sorted(by_kind.items()):
        batch = [acks[i] for i in indexes]
        found = tx.tuples(f"ack_{kind}", rows.ack_params(batch, worker_id, now))
        if kind == "succeeded":  # the statistics of their tasks came with them, locked
            learned.update(
                (task, TaskRuns(peaks, durations))
                for job_id, *_, task, _, peaks, durations in found
                if job_id is None
            )
        for job_id, lease_token, state, queue, task, started_at, *_ in found:
            if job_id is None:
                continue
            index = first[job_id, lease_token]
            accepted[index] = True
            if state == JobState.QUEUED:
                ready.append(queue)
            if kind == "succeeded":
                one = acks[index]
                duration = now - started_at if one.duration is None else one.duration
                learned[task].add(one.peak_memory, duration)
    if tx.commit_unknown:  # refused, unless an earlier try of this very call landed them
        refused = [i for i in first.values() if not accepted[i]]
        for index in _landed(tx, worker_id, refused, acks):
            accepted[index] = True
    if learned:
        saved = [runs.saved(task) for task, runs in sorted(learned.items())]
        tx.run("save_task_stats", {"learned": json.dumps(saved), "now": now})
    tx.notify(ready)
    return accepted


def _landed(tx: Tx, worker_id: str, indexes: list[int], acks: Sequence[Ack]) -> list[int]:
    """Those of `acks[indexes]` whose outcome is already persisted (their event is there)."""
    if not indexes:
        return []
    params = {
        "job_ids": [acks[i].job_id for i in indexes],
        "lease_tokens": [acks[i].lease_token for i in indexes],
        "kinds": [rows.ack_kind(acks[i]) for i in indexes],
        "worker_id": worker_id,
    }
    found = {(row["job_id"], row["lease_token"]) for row in tx.rows("ack_landed", params)}
    return [i for i in indexes if (acks[i].job_id, acks[i].lease_token) in found]


@dataclass(slots=True)
class TaskRuns:
    """What a task's statistics become with the successful runs of one call: its recent
    peaks and durations as read (locked), then the new runs remembered after them."""

    peaks: list[int]
    durations: list[float]
    new_peaks: list[int] = field(default_factory=list)
    new_durations: list[float] = field(default_factory=list)

    def add(self, peak: int | None, duration: float) -> None:
        if peak is not None:
            self.new_peaks.append(peak)
        self.new_durations.append(round(duration, 6))

    def saved(self, task: str) -> dict[str, Any]:
        peaks = [int(p) for p in remember_all(self.peaks, self.new_peaks)]
        return {
            "task": task,
            "peaks": peaks,
            "durations": remember_all(self.durations, self.new_durations),
            "learned_memory": learned_reservation(peaks),
        }
