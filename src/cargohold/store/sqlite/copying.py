"""Export and import of whole jobs for the SQLite store (`cargohold copy`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from cargohold.memory.admission import RUNNER_OVERHEAD
from cargohold.records import Event, JobRecord, TaskStats
from cargohold.store import rowmaps
from cargohold.store.copying import CopyPage
from cargohold.store.flow import refs_json
from cargohold.store.sqlite.connection import sql as _sql

_NOT_COLUMNS = ("need",)
"""JobRecord fields the store computes when it reads a job instead of storing them."""


def read_jobs(
    read: Callable[[str, dict[str, Any]], list[sqlite3.Row]], after: str, limit: int
) -> list[JobRecord]:
    rows = read(_sql("export_jobs"), {"after": after, "limit": limit, "overhead": RUNNER_OVERHEAD})
    return [rowmaps.job(row) for row in rows]


def read_events(
    read: Callable[[str, dict[str, Any]], list[sqlite3.Row]], job_ids: list[str]
) -> list[Event]:
    return [
        rowmaps.event(row) for row in read(_sql("export_events"), {"job_ids": json.dumps(job_ids)})
    ]


def import_page(
    write: Callable[[], AbstractContextManager[sqlite3.Connection]], page: CopyPage, now: float
) -> tuple[int, bool]:
    """Write the page's jobs that are not here yet, with their events, in one transaction;
    (how many were written, whether one of them is ready to run)."""
    written: set[str] = set()
    ready = False
    with write() as connection:
        for job in page.jobs:
            params = {
                name: getattr(job, name)
                for name in JobRecord.__dataclass_fields__
                if name not in _NOT_COLUMNS
            }
            params["state"] = str(job.state)
            params["limits"], params["rates"] = refs_json(job.limits), refs_json(job.rates)
            params["cancel_requested"] = int(job.cancel_requested)
            row = connection.execute(_sql("import_job"), params).fetchone()
            if row is not None:
                written.add(job.id)
                ready = ready or row[1] == "queued"
        connection.executemany(
            _sql("insert_event"),
            [_event_params(event) for event in page.events if event.job_id in written],
        )
        for stats in page.task_stats:
            connection.execute(_sql("import_task_stats"), _stats_params(stats, now))
    return len(written), ready


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
        "peaks": json.dumps(list(stats.peaks)),
        "durations": json.dumps(list(stats.durations)),
        "learned_memory": stats.learned_memory,
        "now": now,
    }
