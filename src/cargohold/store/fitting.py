"""Which of the jobs first in line a claim with a memory offer takes: the rule of
`Store.claim`, as a pure function over the line a store has read (and locked).

Walking the line in order, a job is taken if its need fits what is left of the offer and each
of its limits has a free slot; its need is subtracted, and its slots counted, before the next
job is looked at, so a smaller job may pass a larger one that does not fit. A job of unknown
need counts as the offer's `unknown_need`, and only while nothing is taken yet: a task never
measured starts alone. A job passed over stays unfit for the rest of the walk (what is left
only shrinks), so one walk over the line takes what repeated "first job in line that fits"
would take.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cargohold.memory.admission import MemoryOffer
from cargohold.records import LimitRef

CLAIM_HORIZON = 1024
"""How far down the line a claim with a memory offer looks for jobs that fit: a smaller job
may pass larger ones, but not without bound, so that a claim's cost does not grow with the
backlog (a worker whose first job in line waits for memory claims at every tick)."""


@dataclass(frozen=True, slots=True)
class InLine:
    """A job as the walk sees it."""

    id: str
    need: int | None
    limits: tuple[LimitRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Choice:
    taken: tuple[InLine, ...]
    """The jobs to claim, first in line first."""
    rest: MemoryOffer
    """What is left of the offer for jobs further back in line."""


def choose(
    line: Sequence[InLine],
    limit: int,
    offer: MemoryOffer,
    capacities: Mapping[str, int] | None = None,
    held: Mapping[LimitRef, int] | None = None,
) -> Choice:
    """Up to `limit` jobs of `line` (in claim order) that fit `offer`. `capacities`: the
    concurrency of each limit the worker knows (a job under another limit is never taken);
    `held`: the live slots of each limit and key the line's jobs are under."""
    free, unknown_need = offer.free, offer.unknown_need
    counts = dict(held or {})
    known = capacities or {}
    taken: list[InLine] = []
    for job in line:
        if len(taken) >= limit or free <= 0:
            break
        need = unknown_need if job.need is None else job.need
        if need > free or any(counts.get(ref, 0) >= known.get(ref[0], 0) for ref in job.limits):
            continue
        taken.append(job)
        for ref in job.limits:
            counts[ref] = counts.get(ref, 0) + 1
        free -= need
        unknown_need = free + 1  # a never-measured task only ever starts alone
    return Choice(tuple(taken), MemoryOffer(free=free, unknown_need=unknown_need))
