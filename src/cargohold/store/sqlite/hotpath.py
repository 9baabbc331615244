"""The SQLite store's side of the worker's hot path: claim jobs (those that fit in the
worker's memory and under its limits), persist outcomes, learn from successes. A claim
commits without waiting for the disk (one a power cut forgets is simply made again); an
outcome reaches the disk before the call returns."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from cargohold.memory.admission import (
    RUNNER_OVERHEAD,
    MemoryOffer,
    learned_reservation,
    remember,
)
from cargohold.outcome import (
    Cancelled,
    Failed,
    HandedBack,
    MemoryKilled,
    Retrying,
    Snoozed,
    Succeeded,
)
from cargohold.records import Ack, Claim, LimitRef
from cargohold.states import JobState
from cargohold.store.fitting import CLAIM_HORIZON, InLine, choose
from cargohold.store.flow import capacities_json, refs_json, refs_of
from cargohold.store.sqlite.connection import SQLiteConnection
from cargohold.store.sqlite.connection import sql as _sql
from cargohold.store.sqlite.events import event_params as _event_params


class SQLiteHotPath(SQLiteConnection):
    """Mixed into `SQLiteStore`."""

    def claim(
        self,
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
        now: float,
        memory: MemoryOffer | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> list[Claim]:
        if limit <= 0:
            return []
        with self._write(synced=False) as connection:
            return self._claim(connection, worker_id, queues, limit, lease, now, memory, limits)

    def ack(self, worker_id: str, acks: Sequence[Ack], now: float) -> list[bool]:
        with self._write() as connection:
            return self._ack(connection, worker_id, acks, now)

    def ack_and_claim(
        self,
        worker_id: str,
        acks: Sequence[Ack],
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
        now: float,
        memory: MemoryOffer | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> tuple[list[bool], list[Claim]]:
        # Outcomes reach the disk before the call returns; a claim alone need not: if a
        # power cut forgets it, the job is simply claimed and run again.
        with self._write(synced=bool(acks)) as connection:
            accepted = self._ack(connection, worker_id, acks, now)
            claims = self._claim(connection, worker_id, queues, limit, lease, now, memory, limits)
        return accepted, claims

    def _claim(
        self,
        connection: sqlite3.Connection,
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
        now: float,
        memory: MemoryOffer | None,
        limits: Mapping[str, int] | None = None,
    ) -> list[Claim]:
        if limit <= 0:
            return []
        params: dict[str, Any] = {
            "limits": capacities_json(limits),
            "worker_id": worker_id,
            "limit": limit,
            "lease": lease,
            "now": now,
            "overhead": RUNNER_OVERHEAD,
            "queues": None if queues is None else json.dumps(list(queues)),
        }
        if memory is not None:
            claims = self._claim_fitting(connection, params, limit, memory, limits)
        else:  # jobs under no limit in one statement, then those under limits one by one
            sql = _sql("claim" if queues is None else "claim_from_queues")
            claims = [claim_of(row) for row in connection.execute(sql, params)]
            if limits and len(claims) < limit:
                claims += self._claim_under_limits(connection, params, limit - len(claims))
        if not claims:
            return claims
        connection.executemany(
            _sql("insert_event"),
            [
                _event_params(
                    c.id,
                    now,
                    "claimed",
                    JobState.RUNNING,
                    c.attempt,
                    c.lease_token,
                    worker_id,
                    None,
                )
                for c in claims
            ],
        )
        return claims

    @staticmethod
    def _claim_fitting(
        connection: sqlite3.Connection,
        params: dict[str, Any],
        limit: int,
        memory: MemoryOffer,
        limits: Mapping[str, int] | None,
    ) -> list[Claim]:
        """Claim what fits of the line: read it in windows, choose in order what fits
        (`fitting.choose`: memory, and a free slot of each limit a job is under), claim the
        chosen in one statement. The write lock held since BEGIN IMMEDIATE keeps the line
        and the slots still."""
        taken: list[InLine] = []
        held: dict[LimitRef, int] = {}
        offer = memory
        window = 2 * limit
        # The head of the line first; if that was not enough, what fits of the rest of
        # the claim's horizon (with what is left now, so most of it is skipped in SQL).
        for offset, size in ((0, window), (window, max(0, CLAIM_HORIZON - window))):
            rows = connection.execute(
                _sql("claim_window"),
                {
                    **params,
                    "free": offer.free,
                    "unknown_need": offer.unknown_need,
                    "window": size,
                    "offset": offset,
                    "with_limits": bool(limits),
                },
            ).fetchall()
            line = [InLine(row["id"], row["need"], refs_of(row["limits"])) for row in rows]
            _count_slots(connection, line, held, params["now"])
            choice = choose(line, limit, offer, limits, held)
            taken += choice.taken
            for job in choice.taken:
                for ref in job.limits:
                    held[ref] += 1
            limit -= len(choice.taken)
            offer = choice.rest
            line_ended = bool(rows) and rows[0]["in_window"] < size
            if limit <= 0 or offer.free <= 0 or line_ended:
                break
        if not taken:
            return []
        order = {job.id: index for index, job in enumerate(taken)}
        rows = connection.execute(
            _sql("claim_chosen"), {**params, "ids": json.dumps(list(order))}
        ).fetchall()
        claims = sorted((claim_of(row) for row in rows), key=lambda claim: order[claim.id])
        for claim in claims:
            if claim.limits:
                _take_slots(connection, params, claim)
        return claims

    @staticmethod
    def _claim_under_limits(
        connection: sqlite3.Connection, params: dict[str, Any], limit: int
    ) -> list[Claim]:
        """Claim one job at a time, each the first in line whose limits have a free slot,
        which it takes at once: the next job in line sees it taken."""
        claims: list[Claim] = []
        while len(claims) < limit:
            row = connection.execute(_sql("claim_fitting"), params).fetchone()
            if row is None:
                break
            claim = claim_of(row)
            claims.append(claim)
            if claim.limits:
                _take_slots(connection, params, claim)
        return claims

    def _ack(
        self, connection: sqlite3.Connection, worker_id: str, acks: Sequence[Ack], now: float
    ) -> list[bool]:
        if not acks:
            return []
        # An attempt's end, whatever it was, frees the slots it held.
        tokens = json.dumps([ack.lease_token for ack in acks])
        connection.execute(_sql("slot_release"), {"tokens": tokens})
        accepted = []
        events: list[dict[str, Any]] = []
        learned: dict[str, list[tuple[int | None, float]]] = {}
        succeeded = self._ack_successes(connection, acks, now)
        for ack in acks:
            name, state, params, reason = _ack_statement(ack, now)
            if name == "ack_succeeded":
                row = succeeded.get((ack.job_id, ack.lease_token))
            else:
                params.update(job_id=ack.job_id, lease_token=ack.lease_token, peak=ack.peak_memory)
                row = connection.execute(_sql(name), params).fetchone()
            accepted.append(row is not None)
            if row is None:
                continue
            if isinstance(ack.outcome, Succeeded):
                duration = now - row["started_at"] if ack.duration is None else ack.duration
                learned.setdefault(row["task"], []).append((ack.peak_memory, duration))
            if state is None:  # retry and snooze land in queued or scheduled
                state = JobState.SCHEDULED if params["run_at"] > now else JobState.QUEUED
            events.append(
                _event_params(
                    ack.job_id,
                    now,
                    name.removeprefix("ack_"),
                    state,
                    row["attempt"],
                    ack.lease_token,
                    worker_id,
                    reason,
                )
            )
        connection.executemany(_sql("insert_event"), events)
        for task, runs in learned.items():
            self._learn(connection, task, runs, now)
        return accepted

    @staticmethod
    def _ack_successes(
        connection: sqlite3.Connection, acks: Sequence[Ack], now: float
    ) -> dict[tuple[str, str], sqlite3.Row]:
        """Persist every success among `acks` in one statement (the common outcome by far);
        return the rows that landed, by job id and lease token."""
        successes = [
            {
                "id": ack.job_id,
                "token": ack.lease_token,
                "result": ack.outcome.result,
                "peak": ack.peak_memory,
            }
            for ack in acks
            if isinstance(ack.outcome, Succeeded)
        ]
        if not successes:
            return {}
        rows = connection.execute(
            _sql("ack_succeeded_many"), {"acks": json.dumps(successes), "now": now}
        ).fetchall()
        return {(row["id"], row["lease_token"]): row for row in rows}

    @staticmethod
    def _learn(
        connection: sqlite3.Connection,
        task: str,
        runs: list[tuple[int | None, float]],
        now: float,
    ) -> None:
        """Remember successful runs' peak memory and duration for their task."""
        row = connection.execute(_sql("task_stats"), {"task": task}).fetchone()
        peaks: list[int] = json.loads(row["peaks"]) if row else []
        durations: list[float] = json.loads(row["durations"]) if row else []
        for peak, duration in runs:
            if peak is not None:
                peaks = [int(p) for p in remember(peaks, peak)]
            durations = remember(durations, round(duration, 6))
        connection.execute(
            _sql("save_task_stats"),
            {
                "task": task,
                "peaks": json.dumps(peaks),
                "durations": json.dumps(durations),
                "learned_memory": learned_reservation(peaks),
                "now": now,
            },
        )

    def head_need(
        self, queues: Sequence[str] | None, now: float, limits: Mapping[str, int] | None = None
    ) -> tuple[str, int | None] | None:
        """The first job in line for these queues and its memory need (None if unknown)."""
        rows = self._read(
            _sql("head_need"),
            {
                "limits": capacities_json(limits),
                "now": now,
                "overhead": RUNNER_OVERHEAD,
                "queues": None if queues is None else json.dumps(list(queues)),
            },
        )
        return (rows[0]["id"], rows[0]["need"]) if rows else None


def _count_slots(
    connection: sqlite3.Connection, line: Sequence[InLine], held: dict[LimitRef, int], now: float
) -> None:
    """Add to `held` the live slots of each limit (and key) of `line` it does not count yet."""
    for ref in {ref for job in line for ref in job.limits if ref not in held}:
        name, key = ref
        found = connection.execute(_sql("slot_count"), {"name": name, "key": key, "now": now})
        held[ref] = found.fetchone()["n"]


def _take_slots(connection: sqlite3.Connection, params: dict[str, Any], claim: Claim) -> None:
    connection.execute(
        _sql("claim_slots"),
        {
            **params,
            "lease_token": claim.lease_token,
            "job_id": claim.id,
            "job_limits": refs_json(claim.limits),
        },
    )


def _ack_statement(ack: Ack, now: float) -> tuple[str, JobState | None, dict[str, Any], str | None]:
    """(statement, resulting state or None if it depends on run_at, parameters, reason)."""
    outcome = ack.outcome
    match outcome:
        case Succeeded(result):
            return "ack_succeeded", JobState.SUCCEEDED, {"result": result, "now": now}, None
        case Retrying(run_at, error, traceback, crashed):
            params = {
                "run_at": run_at,
                "error": error,
                "traceback": traceback,
                "now": now,
                "crashed": int(crashed),
            }
            return "ack_retrying", None, params, error
        case Snoozed(run_at, reason):
            return "ack_snoozed", None, {"run_at": run_at, "now": now}, reason
        case Failed(error, traceback, crashed):
            params = {"error": error, "traceback": traceback, "now": now, "crashed": int(crashed)}
            return "ack_failed", JobState.FAILED, params, error
        case Cancelled(reason):
            return "ack_cancelled", JobState.CANCELLED, {"reason": reason, "now": now}, reason
        case HandedBack(reason):
            return "ack_handed_back", JobState.QUEUED, {}, reason
        case MemoryKilled(run_at, error, reservation):
            params = {"run_at": run_at, "error": error, "reservation": reservation, "now": now}
            return "ack_memory_killed", None, params, error
    raise TypeError(f"not an outcome: {outcome!r}")


def claim_of(row: sqlite3.Row) -> Claim:
    """A claim from a row of claim_chosen.sql, claim_fitting.sql or offer_taken.sql."""
    return Claim(
        id=row["id"],
        task=row["task"],
        queue=row["queue"],
        args=row["args"],
        attempt=row["attempt"],
        max_attempts=row["max_attempts"],
        crashes=row["crashes"],
        memory_kills=row["memory_kills"],
        lease_token=row["lease_token"],
        timeout=row["timeout"],
        need=row["need"],
        limits=refs_of(row["limits"]),
        rates=refs_of(row["rates"]),
    )
