"""Between rows of the PostgreSQL store and cargohold's records: outcomes to statement
parameters, rows to records."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from cargohold.outcome import (
    Cancelled,
    Failed,
    HandedBack,
    MemoryKilled,
    Retrying,
    Snoozed,
    Succeeded,
)
from cargohold.records import Ack, Claim, JobRecord, TaskStats, WorkerInfo
from cargohold.states import JobState
from cargohold.store import rowmaps
from cargohold.store.fitting import InLine
from cargohold.store.flow import refs_of

_JOB_FIELDS = tuple(f.name for f in fields(JobRecord))
_CLAIM_FIELDS = tuple(f.name for f in fields(Claim))


def ack_statement(ack: Ack, worker_id: str, now: float) -> tuple[str, dict[str, Any]]:
    """The statement that persists `ack` and its parameters (the event's kind and reason
    included: the statement records its own event)."""
    outcome = ack.outcome
    params: dict[str, Any] = {
        "job_id": ack.job_id,
        "lease_token": ack.lease_token,
        "worker_id": worker_id,
        "now": now,
        "reason": None,
        "peak_memory": ack.peak_memory,
    }
    match outcome:
        case Succeeded(result):
            name = "ack_succeeded"
            params.update(result=result)
        case Retrying(run_at, error, traceback, crashed):
            name = "ack_retrying"
            params.update(
                run_at=run_at, error=error, traceback=traceback, crashed=int(crashed), reason=error
            )
        case Snoozed(run_at, reason):
            name = "ack_snoozed"
            params.update(run_at=run_at, reason=reason)
        case Failed(error, traceback, crashed):
            name = "ack_failed"
            params.update(error=error, traceback=traceback, crashed=int(crashed), reason=error)
        case Cancelled(reason):
            name = "ack_cancelled"
            params.update(reason=reason)
        case HandedBack(reason):
            name = "ack_handed_back"
            params.update(reason=reason)
        case MemoryKilled(run_at, error, reservation):
            name = "ack_memory_killed"
            params.update(run_at=run_at, error=error, reservation=reservation, reason=error)
        case _:
            raise TypeError(f"not an outcome: {outcome!r}")
    params["kind"] = name.removeprefix("ack_")
    return name, params


def claim(row: dict[str, Any]) -> Claim:
    values = {name: row[name] for name in _CLAIM_FIELDS}
    values["limits"], values["rates"] = refs_of(row["limits"]), refs_of(row["rates"])
    return Claim(**values)


def in_line(row: dict[str, Any]) -> InLine:
    return InLine(row["id"], row["need"], refs_of(row["limits"]))


def job_record(row: dict[str, Any]) -> JobRecord:
    values = {name: row[name] for name in _JOB_FIELDS}
    values["state"] = JobState(row["state"])
    values["limits"], values["rates"] = refs_of(row["limits"]), refs_of(row["rates"])
    return JobRecord(**values)


event = rowmaps.event


def worker(row: dict[str, Any]) -> WorkerInfo:
    return WorkerInfo(
        id=row["id"],
        hostname=row["hostname"],
        pid=row["pid"],
        queues=None if row["queues"] is None else tuple(row["queues"]),
        concurrency=row["concurrency"],
        started_at=row["started_at"],
        last_seen=row["last_seen"],
        memory_budget=row["memory_budget"],
        memory_free=row["memory_free"],
    )


def task_stats(row: dict[str, Any]) -> TaskStats:
    return TaskStats(
        task=row["task"],
        peaks=tuple(row["peaks"]),
        durations=tuple(row["durations"]),
        learned_memory=row["learned_memory"],
    )
