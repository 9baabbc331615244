"""A waiting job's place in its queue's line: its position, when it should start (see
`cargohold.eta`) and why it waits (see `cargohold.reasons`), read from the store."""

from __future__ import annotations

from dataclasses import dataclass

from cargohold.eta import Confidence, Estimate, Line, Running, estimate
from cargohold.reasons import serves, why_waiting
from cargohold.records import JobFilter, JobRecord
from cargohold.states import JobState
from cargohold.store.protocol import Store

AHEAD_SAMPLE = 1000
"""Jobs ahead whose tasks are read; past this many, the rest are taken to be like them."""
RUNNING_SAMPLE = 2000

NOT_WAITING = Estimate(None, Confidence.NONE, "the job is not waiting")


@dataclass(frozen=True, slots=True)
class Place:
    position: int | None
    """1 + the jobs ahead of it in its queue; None unless it is ready and waiting."""
    estimate: Estimate
    start_at: float | None
    """When it should start, on the store's clock (now + estimate.seconds)."""
    reason: str | None
    """Why it is not running yet, in words."""


def place_in_line(
    store: Store, job: JobRecord, now: float | None = None, *, public: bool = False
) -> Place:
    """Where `job` stands. `public`: the reason is worded for the job's customer."""
    if not job.state.is_waiting:
        return Place(None, NOT_WAITING, None, None)
    now = store.now() if now is None else now
    position = store.queue_position(job.id, now)
    ahead = (position or 1) - 1
    workers = [w for w in store.list_workers() if serves(w, job.queue)]
    line = Line(
        task=job.task,
        position=position or 1,
        ahead=store.tasks_ahead(job.id, now, min(ahead, AHEAD_SAMPLE)),
        slots=sum(w.concurrency for w in workers),
        running=_running(store, {w.id for w in workers}, now),
        durations={stats.task: stats.durations for stats in store.task_stats()},
        ready_in=max(job.run_at - now, 0.0),
        paused=any(c.name == job.queue and c.paused for c in store.queue_controls()),
    )
    found = estimate(line)
    start_at = None if found.seconds is None else now + found.seconds
    return Place(position, found, start_at, why_waiting(store, job, now, public=public))


def _running(store: Store, workers: set[str], now: float) -> list[Running]:
    if not workers:
        return []
    running = store.find_jobs(JobFilter(states=(JobState.RUNNING,), limit=RUNNING_SAMPLE))
    return [
        Running(job.task, max(now - (job.started_at or now), 0.0))
        for job in running
        if job.worker_id in workers
    ]
