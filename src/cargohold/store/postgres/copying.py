"""Export and import of whole jobs for the PostgreSQL store (`cargohold copy`)."""

from __future__ import annotations

from typing import Any

from cargohold.memory.admission import RUNNER_OVERHEAD
from cargohold.records import Event, JobRecord, TaskStats
from cargohold.states import JobState
from cargohold.store import rowmaps
from cargohold.store.copying import CopyPage
from cargohold.store.flow import refs_json
from cargohold.store.postgres import rows
from cargohold.store.postgres.database import Tx

_NOT_COLUMNS = ("need",)
"""JobRecord fields the store computes when it reads a job instead of storing them."""


def read_jobs(tx: Tx, after: str, limit: int) -> list[JobRecord]:
    found = tx.rows("export_jobs", {"after": after, "limit": limit, "overhead": RUNNER_OVERHEAD})
    return [rowmaps.job(row) for row in found]


def read_events(tx: Tx, job_ids: list[str]) -> list[Event]:
    return [rows.event(row) for row in tx.rows("export_events", {"job_ids": job_ids})]


def import_page(tx: Tx, page: CopyPage, now: float) -> int:
    """Write the page's jobs that are not here yet, with their events, and wake workers for
    those ready to run. Running it again after a lost commit writes nothing twice: the jobs
    it wrote are there, so it skips them and their events."""
    written: set[str] = set()
    ready: list[str] = []
    for job in page.jobs:
        params = {
            name: getattr(job, name)
            for name in JobRecord.__dataclass_fields__
            if name not in _NOT_COLUMNS
        }
        params["state"] = str(job.state)
        params["limits"], params["rates"] = refs_json(job.limits), refs_json(job.rates)
        row = tx.one("import_job", params)
        if row is not None:
            written.add(job.id)
            if row["state"] == JobState.QUEUED:
                ready.append(row["queue"])
    for event in page.events:
        if event.job_id in written:
            tx.run("import_event", _event_params(event))
    for stats in page.task_stats:
        tx.run("import_task_stats", _stats_params(stats, now))
    tx.notify(ready)
    return len(written)


def _event_params(event: Event) -> dict[str, Any]:
    return {
        "job_id": event.job_id,
        "at": event.at,
        "kind": event.kind,
        "state": str(event.state),
        "attempt": event.attempt,
        "lease_token": event.lease_token,
        "worker_id": event.worker_id,
        "reason": event.reason,
    }


def _stats_params(stats: TaskStats, now: float) -> dict[str, Any]:
    return {
        "task": stats.task,
        "peaks": list(stats.peaks),
        "durations": list(stats.durations),
        "learned_memory": stats.learned_memory,
        "now": now,
    }
