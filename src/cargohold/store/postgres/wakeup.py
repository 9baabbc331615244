"""Wake-ups for PostgreSQL: an idle worker LISTENs on its own connection; a transaction that
makes a job ready NOTIFYs, so the worker hears of it the moment that transaction commits.
A worker also LISTENs on a channel of its own, where a producer that handed it a job (its
standing offer, 0005_offers.sql) sends that job.

The connection may die (server restart, terminated backend, network). `drain()` notices and
connects again at once; while that fails, `fileno()` hands out a descriptor that never
becomes readable, so the worker falls back to polling, and every call to `fileno()` or
`drain()` tries again, at most once a second. Nothing here raises: a missed wake-up costs one
poll interval, never a job.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import select
import socket
import time
from collections.abc import Callable
from typing import Any

import psycopg

from cargohold.records import Claim, Heard
from cargohold.store.handing import handed_claim
from cargohold.store.postgres.database import sql

log = logging.getLogger("cargohold.store.postgres")

RECONNECT_EVERY = 1.0
"""Seconds between two attempts to LISTEN again after the connection was lost."""


def handed_channel(worker_id: str) -> str:
    """The channel a worker hears of the jobs handed to it on: a name of its own, short
    enough for any worker id (a channel name has at most 63 bytes)."""
    return "cargohold_" + hashlib.sha256(worker_id.encode()).hexdigest()[:24]


class ListenWakeup:
    def __init__(
        self, connect: Callable[..., psycopg.Connection[Any]], worker_id: str | None = None
    ) -> None:
        self._connect = connect
        self._channel = None if worker_id is None else handed_channel(worker_id)
        self._connection: psycopg.Connection[Any] | None = None
        # Never written to: what the worker waits on while there is no connection.
        self._silent, self._silent_peer = socket.socketpair()
        self._next_attempt = 0.0
        self._closed = False
        self._listen()

    def fileno(self) -> int:
        if self._connection is None:
            self._listen()
        if self._connection is None:
            return self._silent.fileno()
        return self._connection.fileno()

    def drain(self) -> Heard:
        """Consume every pending notification: the jobs handed to this worker among them, and
        whether any other came. Notice a dead connection and replace it (what was sent to it
        meanwhile is lost: the worker finds a job handed to it when it withdraws its offer,
        and other jobs by the claim this wake-up makes)."""
        connection = self._connection
        if connection is None:
            self._listen()
            return Heard([], woken=True)
        handed: list[Claim] = []
        plain = False
        try:
            plain = self._consume(connection, handed)
            if _readable(connection):  # not a notification: likely the server's goodbye
                connection.execute(sql("ping"))  # raises if the connection is gone
                plain = self._consume(connection, handed) or plain
        except psycopg.Error as error:
            log.warning("wake-up connection lost (%s); polling until it is back", _first(error))
        else:
            if not connection.closed:
                return Heard(handed, woken=plain or not handed)
        self._drop()
        self._listen()
        return Heard(handed, woken=True)

    def close(self) -> None:
        self._closed = True
        self._drop()
        self._silent.close()
        self._silent_peer.close()

    # -- helpers -----------------------------------------------------------------------------

    def _listen(self) -> None:
        """Connect and LISTEN, unless the last attempt failed less than a second ago."""
        if self._closed or time.monotonic() < self._next_attempt:
            return
        connection = None
        try:
            connection = self._connect(autocommit=True)
            connection.execute(sql("listen"))
            if self._channel is not None:
                connection.execute(f"LISTEN {self._channel}")
        except psycopg.Error as error:
            log.debug("cannot LISTEN yet: %s", _first(error))
            self._next_attempt = time.monotonic() + RECONNECT_EVERY
            if connection is not None:
                connection.close()
            return
        self._connection = connection

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()
            self._connection = None

    def _consume(self, connection: psycopg.Connection[Any], handed: list[Claim]) -> bool:
        """Read what arrived: handed jobs go into `handed`; whether a wake-up came without a
        job. Through libpq itself: `connection.notifies()` takes several times as long, and
        this is on the way from a new job to its start."""
        pgconn = connection.pgconn
        pgconn.consume_input()
        plain = False
        channel = None if self._channel is None else self._channel.encode()
        while (notification := pgconn.notifies()) is not None:
            if notification.relname == channel:
                handed.append(handed_claim(notification.extra.decode()))
            else:
                plain = True
        return plain


def _readable(connection: psycopg.Connection[Any]) -> bool:
    readable, _, _ = select.select([connection.fileno()], [], [], 0)
    return bool(readable)


def _first(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
