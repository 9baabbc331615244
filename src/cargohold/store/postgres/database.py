"""The PostgreSQL store's connections: a pool, one short transaction per store verb, safe
retries when the server goes away, and the database clock (`clock.ServerClock`).

A verb's work runs in one transaction on a pooled connection. If the connection breaks before
COMMIT is sent, nothing happened and the work is simply run again on a fresh connection. If it
breaks while committing, nobody knows whether the transaction landed: the work runs again with
`Tx.commit_unknown` set, and each verb is written so that running it twice cannot apply it twice
(fenced acks, enqueue by job id, claims found again by their batch). Verbs that cannot be made
so raise `StoreError` instead. A verb whose only write is one statement (enqueue, most often)
runs it in autocommit mode, a transaction of its own: a connection that breaks while it runs
leaves its fate unknown in the same way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from cargohold.errors import StoreError
from cargohold.store.postgres.clock import ServerClock
from cargohold.store.sqlfiles import statement

log = logging.getLogger("cargohold.store.postgres")

PACKAGE = "cargohold.store.postgres"
CONNECT_TIMEOUT = 5
"""Seconds libpq waits for a server to answer a new connection."""
KEEPALIVES: Mapping[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
"""A server that vanished without closing the connection is noticed within about 25 seconds."""
RETRY_FOR = 15.0
"""Seconds a verb keeps trying while the server is unreachable (a restart takes a few)."""
GETCONN_TIMEOUT = 2.0
RECONNECT_TIMEOUT = 4.0
"""The pool backs off between attempts to reconnect (1 s, 2 s...); ending an attempt after
this long and starting a new one on demand keeps a worker from sleeping long after the server
is back."""

T = TypeVar("T")
Row = dict[str, Any]
Params = Mapping[str, Any]


def sql(name: str) -> str:
    """The statement in `sql/<name>.sql`."""
    return statement(PACKAGE, name)


def redact(url: str) -> str:
    """`url` without its password, fit for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None and "password=" not in parts.query:
        return url
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}"
    query = "&".join(
        "password=***" if item.startswith("password=") else item for item in parts.query.split("&")
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


class PooledConnection(psycopg.Connection[Any]):
    """A connection of the store's pools, which keeps a cursor between transactions.

    A new cursor looks up again how to send each parameter: for the fourteen of a single
    enqueue, about a fifth of the driver's time per call."""

    _kept: psycopg.Cursor[Any] | None = None

    def kept_cursor(self) -> psycopg.Cursor[Any]:
        """The cursor kept for `Tx.count` and `Tx.tuples`: used by one transaction at a
        time, as the connection is, and never closed before the connection."""
        if self._kept is None:
            self._kept = self.cursor()
        return self._kept


@dataclass(slots=True)
class Tx:
    """One open transaction. Statements are named after their file in `sql/`."""

    connection: psycopg.Connection[Any]
    commit_unknown: bool
    """An earlier try of this same work may have committed: the connection broke during COMMIT."""

    def rows(self, name: str, params: Params | None = None) -> list[Row]:
        with self.connection.cursor(row_factory=dict_row) as cursor:
            cursor.execute(sql(name), params)
            return cursor.fetchall()

    def tuples(self, name: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        """`rows` as tuples, in the statement's column order, on the cursor a pooled
        connection keeps (see `count`): for the hot path, where making a dict of each row,
        and a cursor for each statement, cost more than reading the rows."""
        cursor = self._kept_cursor()
        cursor.execute(sql(name), params)
        return cursor.fetchall()

    @contextlib.contextmanager
    def pipeline(self) -> Iterator[None]:
        """Statements sent inside go out without waiting for each other's results (psycopg's
        pipeline mode), until a result is read or the block ends. With a libpq older than
        14, which has no pipeline mode, they run one after the other instead."""
        if not psycopg.Pipeline.is_supported():
            yield
            return
        with self.connection.pipeline():
            yield

    def send(
        self, name: str, params: Params | None = None, *, statement: str | None = None
    ) -> Sent:
        """Send a statement and read its rows later: inside `pipeline()`, the server runs it
        while the caller prepares the next one. `statement`: a variant of the file's text to
        run instead of it."""
        cursor = self.connection.cursor(row_factory=dict_row)
        cursor.execute(sql(name) if statement is None else statement, params)
        return Sent(name, cursor)

    def one(self, name: str, params: Params | None = None) -> Row | None:
        rows = self.rows(name, params)
        return rows[0] if rows else None

    def run(self, name: str, params: Params | None = None) -> int:
        """Execute a statement that returns no rows; the number of rows it changed."""
        with self.connection.cursor() as cursor:
            cursor.execute(sql(name), params)
            return cursor.rowcount

    def count(self, name: str, params: Params, *, statement: str | None = None) -> int:
        """Execute a statement run again and again with many parameters (a single enqueue)
        on the cursor its pooled connection keeps; the number of rows it returned.
        `statement`: a variant of the file's text to run instead of it."""
        cursor = self._kept_cursor()
        cursor.execute(sql(name) if statement is None else statement, params)
        return cursor.rowcount

    def _kept_cursor(self) -> psycopg.Cursor[Any]:
        connection = self.connection
        if isinstance(connection, PooledConnection):
            return connection.kept_cursor()
        return connection.cursor()  # the caller's own connection (transactional enqueue)

    def script(self, text: str) -> None:
        """Execute several statements at once (a migration file); no parameters."""
        self.connection.execute(text)

    def notify(self, queues: Sequence[str]) -> None:
        """Wake idle workers when this transaction commits (one notification per queue)."""
        for queue in sorted(set(queues)):
            self.rows("notify", {"queue": queue})


@dataclass(slots=True)
class Sent:
    """A statement sent by `Tx.send`, whose rows are read when needed."""

    name: str
    cursor: psycopg.Cursor[Row]

    def rows(self) -> list[Row]:
        """Its rows (waiting for them if they have not come yet); read them once."""
        with self.cursor:
            return self.cursor.fetchall()


class _CommitLostError(Exception):
    """The connection broke while COMMIT was in flight."""


class _DeadConnectionError(Exception):
    """The pooled connection was dead (the server restarted or ended the session) before
    COMMIT: nothing was applied, and another connection can be tried at once."""


def retryable(error: BaseException) -> bool:
    """Whether `error` left the transaction rolled back (or never begun) and worth a new try:
    a lost connection, a server shutting down or restarting, a deadlock."""
    if not isinstance(error, psycopg.OperationalError):
        return False
    state = error.sqlstate
    if state is None:  # raised by the client: the connection failed or the pool had none
        return True
    return state.startswith(("08", "40", "53", "57P"))


class Database:
    """A connection pool for one PostgreSQL database, opened again in a forked child."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        retry_for: float = RETRY_FOR,
        session: str | None = None,
        check: bool = True,
    ) -> None:
        """`session`: the statement (in `sql/`) each new connection runs first, to give its
        session settings every transaction on it shares. `check=False`: skip the first check
        that the server can be used (a second pool on a database already checked)."""
        self.url = url
        self.shown_url = redact(url)
        self.retry_for = retry_for
        self._sizes = (min_size, max_size)
        self._session = session
        self._pool: ConnectionPool[PooledConnection] | None = None
        self._pid = 0
        self._clock = ServerClock(sql("clock"))
        if check:
            self._check_reachable()

    # -- connections -------------------------------------------------------------------------

    def connect(self, *, autocommit: bool) -> psycopg.Connection[Any]:
        """A connection of its own, outside the pool (for LISTEN, or a first check)."""
        return psycopg.connect(
            self.url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT, **KEEPALIVES
        )

    @property
    def sizes(self) -> tuple[int, int]:
        """The least and the most connections the pool holds."""
        return self._sizes

    def _check_reachable(self) -> None:
        """Fail at once with the server's own words if it cannot be used at all."""
        try:
            with self.connect(autocommit=True) as connection:
                self._clock.measure(connection)
        except psycopg.Error as error:
            raise StoreError(
                f"cannot use the PostgreSQL store {self.shown_url}: {_first_line(error)}; "
                "check that the server runs, the database exists and the URL is right"
            ) from error

    def pool(self) -> ConnectionPool[PooledConnection]:
        """This process's pool. A forked child must not share its parent's sockets: it opens
        its own pool and leaves the inherited one alone (closing it would end the parent's
        sessions)."""
        if self._pool is None or self._pid != os.getpid():
            min_size, max_size = self._sizes
            self._pool = ConnectionPool(
                self.url,
                connection_class=PooledConnection,
                min_size=min_size,
                max_size=max_size,
                kwargs={"autocommit": False, "connect_timeout": CONNECT_TIMEOUT, **KEEPALIVES},
                configure=None if self._session is None else self._configure,
                reconnect_timeout=RECONNECT_TIMEOUT,
                name="cargohold",
                open=True,
            )
            self._pid = os.getpid()
        return self._pool

    def _configure(self, connection: psycopg.Connection[Any]) -> None:
        assert self._session is not None
        connection.execute(sql(self._session))
        connection.commit()

    def close(self) -> None:
        if self._pool is not None and self._pid == os.getpid():
            self._pool.close()
        self._pool = None

    # -- transactions ------------------------------------------------------------------------

    def transaction(
        self,
        work: Callable[[Tx], T],
        *,
        what: str,
        idempotent: bool = True,
        one_write: bool = False,
    ) -> T:
        """Run `work` in one transaction and commit it, trying again on a fresh connection
        while the server is unreachable, for up to `retry_for` seconds.

        `idempotent=False`: if the connection breaks during COMMIT, raise instead of trying
        again, because running `work` twice could apply it twice.

        `one_write=True`: `work` changes the database with its first statement alone (later
        ones only read). It then runs in autocommit mode: that statement is a transaction of
        its own, sent and committed in one round trip instead of three (BEGIN, it, COMMIT).
        A connection that breaks while it runs leaves its fate unknown, as a lost COMMIT.

        A measurement of the clock that is due is made once `work` has committed (`clock`)."""
        result = self._retrying(work, what, idempotent=idempotent, one_write=one_write)
        if self._clock.due():
            self._read_clock()
        return result

    def _retrying(
        self, work: Callable[[Tx], T], what: str, *, idempotent: bool, one_write: bool
    ) -> T:
        deadline = time.monotonic() + self.retry_for
        delay = 0.02
        dead_to_skip = self._sizes[1] + 1  # pooled connections found dead, replaced at once
        commit_unknown = False
        while True:
            try:
                if one_write:
                    return self._attempt_autocommit(work, commit_unknown, deadline)
                return self._attempt(work, commit_unknown, deadline)
            except _CommitLostError as lost:
                error = lost.__cause__ or lost
                if not idempotent:
                    raise StoreError(
                        f"PostgreSQL store {self.shown_url}: the connection broke while "
                        f"committing {what}; it may or may not have been applied "
                        f"({_first_line(error)})"
                    ) from error
                commit_unknown = True
            except _DeadConnectionError as dead:
                error = dead.__cause__ or dead
                if dead_to_skip > 0:
                    dead_to_skip -= 1
                    continue
            except psycopg.OperationalError as failure:
                if not retryable(failure):
                    raise
                error = failure
            if time.monotonic() + delay > deadline:
                raise StoreError(
                    f"PostgreSQL store {self.shown_url}: {what} failed for {self.retry_for:g}s "
                    f"({_first_line(error)}); is the server up?"
                ) from error
            log.warning("%s: %s; trying again in %.2fs", what, _first_line(error), delay)
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _attempt_autocommit(
        self, work: Callable[[Tx], T], commit_unknown: bool, deadline: float
    ) -> T:
        """A connection goes back to the pool still in autocommit mode, until a verb that
        needs a transaction takes it (`_attempt`): a producer that only enqueues never
        switches. Nothing is left to commit or roll back, so the pool's own context manager,
        which would try, is not used."""
        pool = self.pool()
        connection = pool.getconn(timeout=_wait_for_connection(deadline))
        try:
            if not connection.autocommit:
                connection.autocommit = True
            return work(Tx(connection, commit_unknown))
        except psycopg.OperationalError as error:
            if connection.broken:  # the statement may or may not have committed
                raise _CommitLostError() from error
            raise
        finally:
            pool.putconn(connection)

    def _attempt(self, work: Callable[[Tx], T], commit_unknown: bool, deadline: float) -> T:
        with self.pool().connection(timeout=_wait_for_connection(deadline)) as connection:
            if connection.autocommit:  # as a one-write verb left it
                connection.autocommit = False
            try:
                result = work(Tx(connection, commit_unknown))
            except psycopg.OperationalError as error:
                if connection.broken:  # dead before COMMIT: nothing was applied
                    raise _DeadConnectionError() from error
                with contextlib.suppress(psycopg.Error):
                    connection.rollback()
                raise
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    connection.rollback()
                raise
            try:
                connection.commit()
            except psycopg.OperationalError as error:
                if connection.broken or error.sqlstate is None:
                    raise _CommitLostError() from error
                raise
            return result

    # -- the database clock ------------------------------------------------------------------

    def now(self) -> float:
        """The server's clock, read as this host's clock plus a measured offset, so asking the
        time costs no round trip (see `clock`)."""
        if self._clock.unsure():
            self._read_clock()
        return self._clock.now()

    def _read_clock(self) -> None:
        try:
            with self.pool().connection(timeout=CONNECT_TIMEOUT) as connection:
                self._clock.measure(connection)
                connection.rollback()
        except psycopg.Error as error:  # keep the last offset; try again soon
            log.warning("could not read the database clock: %s", _first_line(error))
            self._clock.failed()

    @property
    def clock_offset(self) -> float:
        """Seconds the server's clock is ahead of this host's (negative if behind)."""
        return self._clock.offset


def _wait_for_connection(deadline: float) -> float:
    """Seconds to wait for a pooled connection in an attempt ending at `deadline`."""
    return min(GETCONN_TIMEOUT, max(0.1, deadline - time.monotonic()))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
