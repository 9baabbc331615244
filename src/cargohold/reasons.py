"""Why a job is not running yet, in words a person can act on."""

from __future__ import annotations

from cargohold.records import JobRecord, WorkerInfo
from cargohold.store.protocol import Store
from cargohold.units import format_duration, format_size


def why_waiting(
    store: Store, job: JobRecord, now: float | None = None, *, public: bool = False
) -> str | None:
    """None when the job is not waiting; else the first reason that holds it back.
    `public`: words for the job's customer, naming no other job and no command."""
    now = store.now() if now is None else now
    if not job.state.is_waiting:
        return None
    if job.run_at > now:
        return _scheduled(store, job, now)
    paused = _paused(store, job.queue, public)
    if paused is not None:
        return paused
    for name, key in job.limits:
        full = _full_limit(store, name, key, now, public)
        if full is not None:
            return full
    workers = [w for w in store.list_workers() if serves(w, job.queue)]
    if not workers:
        return f"no worker is taking jobs from queue {job.queue!r}"
    if job.need is not None:
        best = max((w.memory_free or 0) for w in workers)
        if job.need > best:
            return (
                f"waiting for memory: needs {format_size(job.need)}, "
                f"{format_size(best)} free on the best worker"
            )
    elif all((w.memory_free or 0) < (w.memory_budget or 0) for w in workers):
        return "waiting to run alone: its task has no known memory need yet"
    return "waiting for a free runner"


def serves(worker: WorkerInfo, queue: str) -> bool:
    """Whether `worker` takes jobs from `queue`."""
    return worker.queues is None or queue in worker.queues


def _scheduled(store: Store, job: JobRecord, now: float) -> str:
    when = f"{format_duration(job.run_at - now)} from now"
    events = store.job_events(job.id) if job.rates else []
    if events and events[-1].kind == "snoozed" and (events[-1].reason or "").startswith("rate"):
        return f"{events[-1].reason}; runs again {when}"
    why = "retry" if job.attempt or job.memory_kills else "scheduled"
    return f"{why} at {when}"


def _paused(store: Store, queue: str, public: bool) -> str | None:
    if not any(c.name == queue and c.paused for c in store.queue_controls()):
        return None
    if public:
        return f"queue {queue!r} is paused"
    return f"queue {queue!r} is paused; `cargohold resume {queue}` lets workers take it"


def _full_limit(store: Store, name: str, key: str, now: float, public: bool) -> str | None:
    holders = store.limit_holders(name, key, now)
    capacity = max((h.capacity for h in holders), default=0)
    if not holders or len(holders) < capacity:
        return None
    label = f"{name}[{key}]" if key else name
    if public:
        return f"waiting for limit {label!r}: all {capacity} slot(s) are taken"
    named = [h.job_id or h.holder for h in holders]
    more = f" and {len(named) - 3} more" if len(named) > 3 else ""
    return (
        f"waiting for limit {label!r}: all {capacity} slot(s) held by {', '.join(named[:3])}{more}"
    )
