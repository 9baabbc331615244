"""The store verbs of flow control: concurrency limits, rate limits, queue pauses and
periodic firings. Every store implements them with the same semantics (the contract suite
checks both); `Store` includes them.

Exactness: adding a slot or a rate grant counts what is held and adds in one serialized step
(SQLite: one BEGIN IMMEDIATE transaction; PostgreSQL: under a transaction-scoped advisory
lock), so a limit of N never has more than N live slots and a rate of N per period never
grants more than N in any window of that period, whatever the number of processes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from cargohold.records import (
    Enqueued,
    LimitRef,
    NewJob,
    QueueControl,
    RateDecision,
    RateRequest,
    SlotHolder,
    SlotRequest,
)

RATE_EPSILON = 0.001
"""A refused caller retrying after exactly `wait` seconds finds the oldest grant gone."""


class FlowStore(Protocol):
    def acquire_slot(self, request: SlotRequest, now: float) -> bool:
        """Take a slot of the limit if fewer than `request.concurrency` are held (a slot is
        held until released or until its lease ends unextended); False if the limit is full."""

    def extend_slots(self, tokens: Sequence[str], lease: float, now: float) -> frozenset[str]:
        """Extend the slots held under `tokens` to `now + lease`; the tokens still held. A
        slot whose lease already ran out is not revived: it may have been given away."""

    def release_slots(self, tokens: Sequence[str]) -> int:
        """Give back the slots held under `tokens`; how many were held."""

    def limit_holders(self, name: str, key: str, now: float) -> list[SlotHolder]:
        """The live slots of one limit (and key), oldest first."""

    def acquire_rate(self, requests: Sequence[RateRequest], now: float) -> RateDecision:
        """One grant of every rate in `requests`, or none of them: granted only if each rate
        has fewer than `limit` grants within `period` of the grant time. The grant time is
        `now`, or the latest grant of those rates if later, so grant times never go back."""

    def set_queue_paused(self, queue: str, paused: bool, now: float) -> bool:
        """Pause or resume a queue; whether that changed anything."""

    def queue_controls(self) -> list[QueueControl]:
        """Queues an operator paused or resumed, by name."""

    def fire_periodic(self, name: str, slot: float, job: NewJob, now: float) -> Enqueued | None:
        """Enqueue `job` for the firing of schedule `name` at `slot`, unless that firing (or
        a later one) was already enqueued: compare-and-set on the schedule's last firing,
        in the same transaction as the enqueue. A schedule seen for the first time records
        `slot` without firing it. Returns the job if this call enqueued it."""


def refs_json(refs: Sequence[LimitRef]) -> str | None:
    """Limit or rate references as stored in a job row (None for none)."""
    if not refs:
        return None
    listed = [[name, key] for name, key in refs]
    return json.dumps(listed) if listed else None


def refs_of(value: Any) -> tuple[LimitRef, ...]:
    """A job row's limit or rate references, from JSON text or decoded JSON."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = json.loads(value)
    return tuple((str(name), str(key)) for name, key in value)


def enqueue_params(job: NewJob, now: float) -> dict[str, Any]:
    """The parameters of a store's `enqueue` statement for `job`."""
    return {
        "id": job.id,
        "task": job.task,
        "queue": job.queue,
        "priority": job.priority,
        "args": job.args,
        "key": job.key,
        "max_attempts": job.max_attempts,
        "run_at": now if job.run_at is None else job.run_at,
        "now": now,
        "timeout": job.timeout,
        "memory": job.memory,
        "limits": refs_json(job.limits),
        "rates": refs_json(job.rates),
        "wait_timeout": job.wait_timeout,
    }


def capacities_json(limits: Mapping[str, int] | None) -> str:
    """The concurrency of each limit a worker knows, as claims read it."""
    return json.dumps([[name, count] for name, count in sorted((limits or {}).items())])


def rate_wait(window: Sequence[float], request: RateRequest, at: float) -> float:
    """Seconds until a grant fits, given the newest `request.limit` grants of the window
    (newest first); 0 when fewer than `limit` grants are in the window."""
    if len(window) < request.limit:
        return 0.0
    oldest_that_counts = window[request.limit - 1]
    return max(oldest_that_counts + request.period - at, 0.0) + RATE_EPSILON
