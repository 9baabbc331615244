"""Between rows of the PostgreSQL store and cargohold's records: outcomes to statement
parameters, rows to records."""

from __future__ import annotations

from collections.abc import Sequence
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
from cargohold.records import Ack, Claim, TaskStats, WorkerInfo
from cargohold.store import rowmaps
from cargohold.store.fitting import InLine
from cargohold.store.flow import refs_of

_CLAIM_FIELDS = tuple(f.name for f in fields(Claim))


ACK_COLUMNS = {
    "job_ids": "job_id",
    "lease_tokens": "lease_token",
    "peak_memories": "peak_memory",
    "reasons": "reason",
    "results": "result",
    "run_ats": "run_at",
    "errors": "error",
    "tracebacks": "traceback",
    "crashed": "crashed",
    "reservations": "reservation",
}
"""The arrays of the `ack_<kind>` statements, each holding one field of every outcome."""


def ack_kind(ack: Ack) -> str:
    """The kind of the outcome: its statement is `ack_<kind>`, its event's kind is `<kind>`."""
    return _ack_fields(ack)[0]


def ack_params(acks: Sequence[Ack], worker_id: str, now: float) -> dict[str, Any]:
    """The parameters of the statement persisting `acks`, all of one kind: one array per
    field, element i for `acks[i]` (the event's reason included: the statement records the
    events). Each array is sent as the text of an array literal, which the statement casts:
    psycopg's own dumping of lists cost more than the server's work on them."""
    columns: dict[str, list[Any]] = {array: [] for array in ACK_COLUMNS}
    for ack in acks:
        values = _ack_fields(ack)[1]
        for array, name in ACK_COLUMNS.items():
            columns[array].append(values.get(name))
    params: dict[str, Any] = {"worker_id": worker_id, "now": now}
    params.update((array, array_literal(values)) for array, values in columns.items())
    return params


def array_literal(values: Sequence[str | int | float | None]) -> str:
    """The text PostgreSQL reads as an array of `values` (text, integers or floats)."""
    return "{" + ",".join(map(_element_literal, values)) + "}"


def _element_literal(value: str | int | float | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _ack_fields(ack: Ack) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {
        "job_id": ack.job_id,
        "lease_token": ack.lease_token,
        "peak_memory": ack.peak_memory,
    }
    match ack.outcome:
        case Succeeded(result):
            return "succeeded", {**values, "result": result}
        case Retrying(run_at, error, traceback, crashed):
            return "retrying", {
                **values,
                "run_at": run_at,
                "error": error,
                "traceback": traceback,
                "crashed": int(crashed),
                "reason": error,
            }
        case Snoozed(run_at, reason):
            return "snoozed", {**values, "run_at": run_at, "reason": reason}
        case Failed(error, traceback, crashed):
            return "failed", {
                **values,
                "error": error,
                "traceback": traceback,
                "crashed": int(crashed),
                "reason": error,
            }
        case Cancelled(reason):
            return "cancelled", {**values, "reason": reason}
        case HandedBack(reason):
            return "handed_back", {**values, "reason": reason}
        case MemoryKilled(run_at, error, reservation):
            return "memory_killed", {
                **values,
                "run_at": run_at,
                "error": error,
                "reservation": reservation,
                "reason": error,
            }
        case _:
            raise TypeError(f"not an outcome: {ack.outcome!r}")


def claim(row: dict[str, Any]) -> Claim:
    values = {name: row[name] for name in _CLAIM_FIELDS}
    values["limits"], values["rates"] = refs_of(row["limits"]), refs_of(row["rates"])
    return Claim(**values)


def in_line(row: dict[str, Any]) -> InLine:
    return InLine(row["id"], row["need"], refs_of(row["limits"]))


def window(row: tuple[Any, ...]) -> Claim | InLine:
    """A row of `claim_window`, in its column order: a claim if the statement claimed it (it
    has a lease token), else a job it locked and left."""
    (job_id, limits, need, task, queue, args, attempt, max_attempts, crashes, memory_kills,
     lease_token, timeout, rates) = row  # fmt: skip
    if lease_token is None:
        return InLine(job_id, need, refs_of(limits))
    return Claim(
        job_id,
        task,
        queue,
        args,
        attempt,
        max_attempts,
        crashes,
        memory_kills,
        lease_token,
        timeout,
        need,
        refs_of(limits),
        refs_of(rates),
    )


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
