"""A thread that runs one store transaction at a time for the supervisor, so that while a
group of quick jobs' outcomes commits (and the next batch is claimed) the supervisor goes on
reading its runners' reports and sending them the jobs already in line.

Nothing is taken as persisted before its transaction returns: the supervisor keeps the
outcomes it handed over as its own, under their leases, until it takes the result.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")


class Committer(Generic[T]):
    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._future: Future[T] | None = None
        self._done_reader, self._done_writer = os.pipe()
        os.set_blocking(self._done_reader, False)
        os.set_blocking(self._done_writer, False)

    @property
    def in_flight(self) -> bool:
        """A transaction was submitted and its result not taken yet."""
        return self._future is not None

    @property
    def done(self) -> bool:
        """The transaction in flight has returned or failed: `take` will not wait."""
        return self._future is not None and self._future.done()

    def fileno(self) -> int:
        """Readable once the transaction in flight is done (to wait on beside the runners)."""
        return self._done_reader

    def submit(self, work: Callable[[], T]) -> None:
        assert self._future is None, "one transaction at a time"
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="cargohold-commit")
        self._future = self._executor.submit(self._run, work)

    def take(self) -> T:
        """The result of the transaction in flight, waiting for it if need be; raises what it
        raised. Afterwards nothing is in flight."""
        future = self._future
        assert future is not None
        try:
            return future.result()
        finally:
            self._future = None
            with contextlib.suppress(BlockingIOError):
                os.read(self._done_reader, 64)

    def _run(self, work: Callable[[], T]) -> T:
        # Signalled before the result is set, so `take` always finds the byte to clear.
        try:
            return work()
        finally:
            os.write(self._done_writer, b"!")

    def close(self) -> None:
        if self._future is not None:
            with contextlib.suppress(Exception):
                self.take()
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None
        for descriptor in (self._done_reader, self._done_writer):
            with contextlib.suppress(OSError):
                os.close(descriptor)
