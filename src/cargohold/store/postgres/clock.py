"""The database server's clock, read without a round trip: this host's clock plus an offset
measured now and then.

Every process that writes times (producers, workers, the web app) reads the same server
clock, so their times agree even when the hosts' clocks do not. Measuring the offset takes
three round trips, so it is never done on the way of a verb that can do without it: a due
measurement is made after a transaction has committed (a producer's job is already on its way
to a worker by then). It is made before a time is given only when the offset may be wrong by
more than a slewing clock drifts: never measured, too old, or this host's clock was set since.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg

REFRESH_EVERY = 60.0
"""Seconds after which the offset is measured again, after the next transaction."""
MAX_AGE = 600.0
"""Seconds after which the offset is measured again before a time is given (a process that
runs no transaction of the store's own, such as one that only enqueues with `connection=`)."""
STEP = 0.25
"""Seconds this host's clock may move against its monotonic clock before the offset is taken
as wrong: a clock that is set jumps; one that is slewed (NTP) drifts by at most 0.5 ms a
second, a few tens of milliseconds between two measurements."""
RETRY_AFTER = 1.0
"""Seconds before trying again after a measurement failed (the last offset is kept)."""


class ServerClock:
    def __init__(self, query: str) -> None:
        """`query`: the statement that reads the server's clock, in seconds since the epoch."""
        self._query = query
        self.offset = 0.0
        """Seconds the server's clock is ahead of this host's (negative if behind)."""
        self._measured_at: float | None = None
        """When the offset was measured, on the monotonic clock."""
        self._wall_ahead = 0.0
        """How far this host's clock was ahead of its monotonic clock then."""
        self._retry_at = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def unsure(self) -> bool:
        """Whether the offset must be measured before a time is given."""
        monotonic = time.monotonic()
        if monotonic < self._retry_at:
            return False
        if self._measured_at is None or monotonic - self._measured_at >= MAX_AGE:
            return True
        return abs(time.time() - monotonic - self._wall_ahead) > STEP

    def due(self) -> bool:
        """Whether a measurement is due, to be made after a transaction has committed. Never
        before the first (a pool that gives no times, such as the claims', never measures)."""
        monotonic = time.monotonic()
        return (
            self._measured_at is not None
            and monotonic >= self._retry_at
            and monotonic - self._measured_at >= REFRESH_EVERY
        )

    def measure(self, connection: psycopg.Connection[Any]) -> None:
        """The offset from the quickest of three round trips."""
        samples = []
        for _ in range(3):
            before = time.time()
            row = connection.execute(self._query).fetchone()
            after = time.time()
            assert row is not None
            samples.append((after - before, row[0] - (before + after) / 2))
        self.offset = min(samples)[1]
        self._measured_at = monotonic = time.monotonic()
        self._wall_ahead = time.time() - monotonic

    def failed(self) -> None:
        """A measurement failed: keep the last offset, try again in a while."""
        self._retry_at = time.monotonic() + RETRY_AFTER
