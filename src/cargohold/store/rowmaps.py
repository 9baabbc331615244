"""Turning a database row into a record: the same for every store (a sqlite3.Row and a
psycopg dict row are both read by column name; JSON columns may come as text or decoded)."""

from __future__ import annotations

from typing import Any, Protocol

from cargohold.records import Event, JobRecord
from cargohold.states import JobState
from cargohold.store.flow import refs_of


class Row(Protocol):
    def __getitem__(self, column: str) -> Any: ...


def event(row: Row) -> Event:
    return Event(
        id=row["id"],
        job_id=row["job_id"],
        at=row["at"],
        kind=row["kind"],
        state=JobState(row["state"]),
        attempt=row["attempt"],
        lease_token=row["lease_token"],
        worker_id=row["worker_id"],
        reason=row["reason"],
    )


def job(row: Row) -> JobRecord:
    """A job's row (its `need` computed by the query) as a record."""
    return JobRecord(
        id=row["id"],
        task=row["task"],
        queue=row["queue"],
        state=JobState(row["state"]),
        priority=row["priority"],
        args=row["args"],
        key=row["key"],
        attempt=row["attempt"],
        max_attempts=row["max_attempts"],
        crashes=row["crashes"],
        run_at=row["run_at"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        worker_id=row["worker_id"],
        lease_token=row["lease_token"],
        lease_expires_at=row["lease_expires_at"],
        timeout=row["timeout"],
        progress_current=row["progress_current"],
        progress_total=row["progress_total"],
        progress_message=row["progress_message"],
        result=row["result"],
        error=row["error"],
        traceback=row["traceback"],
        cancel_requested=bool(row["cancel_requested"]),
        memory=row["memory"],
        reservation=row["reservation"],
        peak_memory=row["peak_memory"],
        memory_kills=row["memory_kills"],
        need=row["need"],
        limits=refs_of(row["limits"]),
        rates=refs_of(row["rates"]),
        wait_timeout=row["wait_timeout"],
    )
