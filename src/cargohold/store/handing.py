"""Jobs handed to an idle worker's standing offer (`Store.stand_offer`): which jobs may be,
and the form in which one reaches its worker (a PostgreSQL notification, a datagram on
SQLite): a claim as a JSON array."""

from __future__ import annotations

import json
from typing import Any

from cargohold.memory.admission import MemoryOffer
from cargohold.records import Claim, NewJob

HANDED_SIZE = 7000
"""Characters of a job's arguments, task and queue names above which it is not handed to a
standing offer: it would not fit in a PostgreSQL notification (8000 bytes; SQLite's datagrams
are bounded the same way)."""


def may_take_offer(job: NewJob, now: float) -> bool:
    """Whether `job`, written by a single enqueue, may be handed to a standing offer: ready
    now, under no limit, rate or queue depth, with no key (it is then surely written), and
    small enough for a notification."""
    return (
        job.key is None
        and not job.limits
        and not job.rates
        and job.max_depth is None
        and (job.run_at is None or job.run_at <= now)
        and len(job.args) + len(job.task) + len(job.queue) <= HANDED_SIZE
    )


def offer_params(
    worker_id: str, lease_token: str, memory: MemoryOffer, lease: float, until: float
) -> dict[str, Any]:
    """The columns of a standing offer that every store keeps alike (offer_stand.sql)."""
    return {
        "worker_id": worker_id,
        "lease_token": lease_token,
        "free": memory.free,
        "unknown_need": memory.unknown_need,
        "lease": lease,
        "expires_at": until,
    }


def handed_payload(claim: Claim) -> str:
    """What tells a worker of the job handed to it, in `handed_claim`'s order."""
    return json.dumps(
        [
            claim.id,
            claim.task,
            claim.queue,
            claim.args,
            claim.attempt,
            claim.max_attempts,
            claim.lease_token,
            claim.timeout,
            claim.need,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def handed_claim(payload: str) -> Claim:
    """The job handed to a worker, from its notification: it was just written, so it has
    run no attempt before this one, and has no limits or rates."""
    job_id, task, queue, args, attempt, max_attempts, lease_token, timeout, need = json.loads(
        payload
    )
    return Claim(job_id, task, queue, args, attempt, max_attempts, 0, 0, lease_token, timeout, need)
