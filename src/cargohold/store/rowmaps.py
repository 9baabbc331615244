"""Turning a database row into a record: the same for every store (a sqlite3.Row and a
psycopg dict row are both read by column name)."""

from __future__ import annotations

from typing import Any, Protocol

from cargohold.records import Event
from cargohold.states import JobState


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
