"""Writing new jobs: in a transaction of the store's own, or in the caller's open transaction
on the caller's psycopg connection (transactional enqueue). The NOTIFY that wakes idle
workers is sent inside that same transaction, so PostgreSQL delivers it only if it commits."""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Sequence
from functools import cache
from typing import Any

import psycopg
from psycopg import pq

from cargohold.errors import ConfigurationError, QueueFullError, StoreError
from cargohold.memory.admission import RUNNER_OVERHEAD
from cargohold.records import Enqueued, NewJob
from cargohold.store.flow import enqueue_params, refs_json
from cargohold.store.handing import may_take_offer
from cargohold.store.joined import describe
from cargohold.store.postgres.database import Database, Row, Sent, Tx, sql

CHUNK = 500
"""Jobs per statement when many are written at once."""
ON_CONFLICT = "ON CONFLICT DO NOTHING"
_ARGS_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

PLAIN_AFTER_MISS = 0.02
"""Seconds after a single enqueue found no offer to take during which the next ones write
plainly (see `OfferLookout`)."""


class OfferLookout:
    """When a single enqueue looks for a standing offer to hand its job to. The statement
    that looks (enqueue_handing.sql) costs the server more than a plain write, and while no
    worker is idle there is no offer to find: after a look that took none, the writes of the
    next `PLAIN_AFTER_MISS` seconds are plain. A job among them wakes idle workers and is
    claimed, as any job that takes no offer."""

    def __init__(self) -> None:
        self._plain_until = 0.0

    def due(self) -> bool:
        return time.monotonic() >= self._plain_until

    def looked(self, *, took: bool) -> None:
        self._plain_until = 0.0 if took else time.monotonic() + PLAIN_AFTER_MISS


def enqueue(
    tx: Tx, jobs: Sequence[NewJob], now: float, *, lookout: OfferLookout | None = None
) -> list[Enqueued]:
    """Write `jobs`; a job whose key is taken returns the id of the job holding it.
    `lookout`: a single job may be handed to an idle worker's standing offer (only in a
    statement that commits on its own: a withdrawing worker waits for the one taking it).

    Up to `CHUNK` jobs are written by one statement. More go out in chunks, in one pipeline,
    each sent as soon as its jobs are read from `jobs` (which may make them as they are read):
    the server writes one chunk while the next is made and sent. A job with a `max_depth`
    counts the jobs of its queue written before it, so the jobs before it are written first."""
    if len(jobs) == 1 and jobs[0].max_depth is None:
        if lookout is not None and lookout.due() and _handable(tx, jobs[0], now):
            params = {**enqueue_params(jobs[0], now), "overhead": RUNNER_OVERHEAD}
            [(handed, _)] = tx.tuples("enqueue_handing", params)
            lookout.looked(took=handed)
            return [Enqueued(jobs[0].id, created=True)]
        return [_enqueue_one(tx, jobs[0], now)]
    if one_write(jobs):
        return _written(tx, jobs, _insert(tx, jobs, now))
    results: list[Enqueued] = []
    with tx.pipeline():
        sent: list[tuple[list[NewJob], Sent]] = []
        chunk: list[NewJob] = []
        for job in jobs:
            if job.max_depth is not None:
                if chunk:
                    sent.append((chunk, _insert(tx, chunk, now)))
                    chunk = []
                results += _written_chunks(tx, sent)
                sent = []
                existing = _full_queue(tx, job)
                if existing is not None:  # its key is taken: the queue's depth does not matter
                    results.append(existing)
                    continue
            chunk.append(job)
            if len(chunk) == CHUNK:
                sent.append((chunk, _insert(tx, chunk, now)))
                chunk = []
        if chunk:
            sent.append((chunk, _insert(tx, chunk, now)))
        return results + _written_chunks(tx, sent)


def _insert(tx: Tx, jobs: Sequence[NewJob], now: float) -> Sent:
    """Send the statement that writes `jobs`. Jobs that cannot conflict with a job already
    written (none has a key, and no earlier try of this call may have written them) are
    inserted without ON CONFLICT: the server then skips looking each one up in the unique
    indexes before inserting it, a tenth of its work."""
    fresh = not tx.commit_unknown and all(job.key is None for job in jobs)
    if fresh:
        alike = _alike_columns(jobs, now)
        if alike is not None:
            return tx.send("enqueue_alike", alike)
    statement = _fresh_insert("enqueue") if fresh else None
    return tx.send("enqueue", _columns(jobs, now), statement=statement)


def _alike_columns(jobs: Sequence[NewJob], now: float) -> dict[str, Any] | None:
    """The parameters of `enqueue_alike` if `jobs` differ only in their ids and arguments
    (and have no key), else None. A third less for this process to send, and for the server
    to unpack, than `_columns`."""
    first = jobs[0]
    task_and_queue, rest = first[1:3], first[4:]
    if any(job[4:] != rest or job[1:3] != task_and_queue for job in jobs):
        return None
    ids = ",".join([job.id for job in jobs])
    if ids.count(",") != len(jobs) - 1:  # an id of its own making holds a comma
        return None
    return {
        "ids": ids,
        "args": _ARGS_ENCODER.encode([job.args for job in jobs]),
        "task": first.task,
        "queue": first.queue,
        "priority": first.priority,
        "max_attempts": first.max_attempts,
        "run_at": now if first.run_at is None else first.run_at,
        "now": now,
        "timeout": first.timeout,
        "memory": first.memory,
        "limits": refs_json(first.limits),
        "rates": refs_json(first.rates),
        "wait_timeout": first.wait_timeout,
    }


@cache
def _fresh_insert(name: str) -> str:
    """The statement `name` without its ON CONFLICT clause."""
    statement = sql(name)
    assert ON_CONFLICT in statement
    return statement.replace(ON_CONFLICT, "")


def _handable(tx: Tx, job: NewJob, now: float) -> bool:
    """Whether `job` may be handed to a standing offer (enqueue_handing.sql, which checks its
    size in bytes): as `may_take_offer` says, unless an earlier try of this call may have
    written it."""
    return not tx.commit_unknown and may_take_offer(job, now)


def _enqueue_one(tx: Tx, job: NewJob, now: float) -> Enqueued:
    """Write one job by a statement of its own (see enqueue_one.sql), without ON CONFLICT
    when it cannot conflict (as `_insert` does)."""
    fresh = not tx.commit_unknown and job.key is None
    statement = _fresh_insert("enqueue_one") if fresh else None
    if tx.count("enqueue_one", enqueue_params(job, now), statement=statement):
        return Enqueued(job.id, created=True)
    return _holder(tx, job)


def one_write(jobs: Sequence[NewJob]) -> bool:
    """Whether `enqueue` writes `jobs` with its first statement alone (what it runs after
    only looks up the holders of keys taken): true for up to `CHUNK` jobs, unless a job has
    a `max_depth`."""
    return len(jobs) <= CHUNK and all(job.max_depth is None for job in jobs)


def _written_chunks(tx: Tx, sent: list[tuple[list[NewJob], Sent]]) -> list[Enqueued]:
    return [result for chunk, statement in sent for result in _written(tx, chunk, statement)]


def _written(tx: Tx, jobs: Sequence[NewJob], statement: Sent) -> list[Enqueued]:
    """What became of `jobs`, from the answer of the statement that wrote them."""
    [answer] = statement.rows()
    not_written = set(answer["not_written"])
    if not not_written:
        return [Enqueued(job.id, created=True) for job in jobs]
    results = []
    for job in jobs:
        if job.id not in not_written:
            results.append(Enqueued(job.id, created=True))
        else:
            results.append(_holder(tx, job))
    return results


def _holder(tx: Tx, job: NewJob) -> Enqueued:
    """The job holding the key of `job`, which was not written: its key is taken, or an
    earlier try of this call wrote it."""
    holder = tx.one("find_existing", {"id": job.id, "key": job.key})
    if holder is None:
        raise StoreError(
            f"job {job.id} with key {job.key!r} conflicted with a job this transaction "
            "cannot see (its isolation level is above READ COMMITTED); enqueue it "
            "again in a new transaction"
        )
    return Enqueued(holder["id"], created=holder["id"] == job.id)


def _columns(jobs: Sequence[NewJob], now: float) -> dict[str, Any]:
    """The parameters of `enqueue`: the jobs as one JSON array of column values, in the
    order the statement reads them. (An array parameter per column costs the driver about
    ten times as long to send as this one string.)"""
    rows = [
        (
            job.id,
            job.task,
            job.queue,
            job.priority,
            job.args,
            job.key,
            job.max_attempts,
            now if job.run_at is None else job.run_at,
            job.timeout,
            job.memory,
            refs_json(job.limits),
            refs_json(job.rates),
            job.wait_timeout,
        )
        for job in jobs
    ]
    return {"now": now, "jobs": json.dumps(rows)}


def _full_queue(tx: Tx, job: NewJob) -> Enqueued | None:
    """Refuse `job` with QueueFullError if its queue holds `max_depth` waiting jobs; the
    existing job if its key is taken (or an earlier try of this call wrote it). Enqueues into
    one queue take turns on a lock, so two of them cannot both take its last place."""
    tx.one("named_lock", {"lock": f"cargohold:queue:{job.queue}"})
    existing = tx.one("find_existing", {"id": job.id, "key": job.key})
    if existing is not None:
        return Enqueued(existing["id"], created=existing["id"] == job.id)
    depth = tx.one("queue_depth", {"queue": job.queue})
    assert depth is not None and job.max_depth is not None
    if depth["n"] >= job.max_depth:
        raise QueueFullError.of(job.queue, job.max_depth)
    return None


class JoinedTransactions:
    """Checks a caller's connection before jobs are written with it: a psycopg 3 connection,
    in a transaction, to the store's own database."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._identity: Row | None = None
        self._checked: weakref.WeakKeyDictionary[psycopg.Connection[Any], bool] = (
            weakref.WeakKeyDictionary()
        )

    def tx(self, connection: object) -> Tx:
        """A `Tx` on the caller's connection, inside the caller's transaction."""
        if not isinstance(connection, psycopg.Connection):
            hint = (
                " (an async connection: enqueue from synchronous code)"
                if isinstance(connection, psycopg.AsyncConnection)
                else ""
            )
            raise ConfigurationError(
                f"connection= got a {describe(connection)}{hint}; the PostgreSQL store "
                f"{self._database.shown_url} joins a psycopg 3 connection (psycopg.Connection) "
                "or a SQLAlchemy Session or Connection using psycopg"
            )
        status = connection.info.transaction_status
        if status == pq.TransactionStatus.INERROR:
            raise StoreError(
                "connection= is in a failed transaction (an earlier statement raised); roll "
                "it back before enqueueing"
            )
        if connection.autocommit and status == pq.TransactionStatus.IDLE:
            raise ConfigurationError(
                "connection= is in autocommit mode with no transaction open, so the job "
                "would be committed at once instead of with your transaction; enqueue inside "
                "`with connection.transaction():`, or leave autocommit off"
            )
        self._check_database(connection)
        return Tx(connection, commit_unknown=False)

    def _check_database(self, connection: psycopg.Connection[Any]) -> None:
        if self._checked.get(connection):
            return
        theirs = Tx(connection, commit_unknown=False).one("database_identity")
        if theirs != self._store_identity(fresh=False) and theirs != self._store_identity(
            fresh=True  # the server may have restarted since it was read
        ):
            assert theirs is not None
            raise ConfigurationError(
                f"connection= is connected to database {theirs['name']!r} on "
                f"{connection.info.host}:{connection.info.port}, not to the store's "
                f"{self._database.shown_url}; pass a connection to the store's database"
            )
        self._checked[connection] = True

    def _store_identity(self, *, fresh: bool) -> Row | None:
        if fresh or self._identity is None:
            self._identity = self._database.transaction(
                lambda tx: tx.one("database_identity"), what="database_identity"
            )
        return self._identity
