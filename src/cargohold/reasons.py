"""Why a job is not running yet, in words a person can act on."""

from __future__ import annotations

from cargohold.records import JobRecord, WorkerInfo
from cargohold.store.protocol import Store
from cargohold.units import format_duration, format_size


def why_waiting(store: Store, job: JobRecord, now: float | None = None) -> str | None:
    """None when the job is not waiting; else the first reason that holds it back."""
    now = store.now() if now is None else now
    if not job.state.is_waiting:
        return None
    if job.run_at > now:
        why = "retry" if job.attempt or job.memory_kills else "scheduled"
        return f"{why} at {format_duration(job.run_at - now)} from now"
    workers = [w for w in store.list_workers() if _serves(w, job.queue)]
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


def _serves(worker: WorkerInfo, queue: str) -> bool:
    return worker.queues is None or queue in worker.queues
