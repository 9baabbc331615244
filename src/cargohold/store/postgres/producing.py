"""Writing new jobs: in a transaction of the store's own, or in the caller's open transaction
on the caller's psycopg connection (transactional enqueue). The NOTIFY that wakes idle
workers is sent inside that same transaction, so PostgreSQL delivers it only if it commits."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import pq

from cargohold.errors import ConfigurationError, StoreError
from cargohold.records import Enqueued, NewJob
from cargohold.states import JobState
from cargohold.store.flow import refs_json
from cargohold.store.joined import describe
from cargohold.store.postgres.database import Database, Row, Tx
from cargohold.store.postgres.flow import full_queue


def enqueue(tx: Tx, jobs: Sequence[NewJob], now: float) -> list[Enqueued]:
    """Write `jobs`; a job whose key is taken returns the id of the job holding it."""
    results, ready = [], []
    for job in jobs:
        if job.max_depth is not None:
            existing = full_queue(tx, job)
            if existing is not None:  # its key is taken: the queue's depth does not matter
                results.append(existing)
                continue
        params = {
            "id": job.id,
            "task": job.task,
            "queue": job.queue,
            "priority": job.priority,
            "args": job.args,
            "key": job.key,
            "max_attempts": job.max_attempts,
            "run_at": now if job.run_at is None else job.run_at,
            "now": now,
            "timeout": job.timeout,
            "memory": job.memory,
            "limits": refs_json(job.limits),
            "rates": refs_json(job.rates),
            "wait_timeout": job.wait_timeout,
        }
        row = tx.one("enqueue", params)
        if row is None:  # its key is taken, or an earlier try of this call wrote it
            holder = tx.one("find_existing", {"id": job.id, "key": job.key})
            if holder is None:
                raise StoreError(
                    f"job {job.id} with key {job.key!r} conflicted with a job this transaction "
                    "cannot see (its isolation level is above READ COMMITTED); enqueue it "
                    "again in a new transaction"
                )
            results.append(Enqueued(holder["id"], created=holder["id"] == job.id))
            continue
        if row["state"] == JobState.QUEUED:
            ready.append(job.queue)
        results.append(Enqueued(job.id, created=True))
    tx.notify(ready)
    return results


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
