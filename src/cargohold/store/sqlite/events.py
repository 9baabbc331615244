"""The job event log on SQLite: each verb that changes a job records an event in the same
transaction (see `cargohold.records.Event`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from cargohold.store.sqlite.connection import sql


def insert_event(
    connection: sqlite3.Connection | sqlite3.Cursor,
    job_id: str,
    at: float,
    kind: str,
    state: str,
    attempt: int,
    lease_token: str | None = None,
    worker_id: str | None = None,
    reason: str | None = None,
) -> None:
    """Record one event of a job, in the caller's transaction."""
    connection.execute(
        sql("insert_event"),
        event_params(job_id, at, kind, state, attempt, lease_token, worker_id, reason),
    )


def event_params(
    job_id: str,
    at: float,
    kind: str,
    state: str,
    attempt: int,
    lease_token: str | None,
    worker_id: str | None,
    reason: str | None,
) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "at": at,
        "kind": kind,
        "state": str(state),
        "attempt": attempt,
        "lease_token": lease_token,
        "worker_id": worker_id,
        "reason": reason,
    }
