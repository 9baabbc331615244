"""Sleeping until there is something to do: a runner reported, a producer woke us, a signal
arrived, or a timer ran out."""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable
from multiprocessing.connection import wait
from types import FrameType
from typing import Any

from cargohold.records import Claim
from cargohold.store.protocol import Wakeup


class Waiter:
    def __init__(self, wakeup: Wakeup | None) -> None:
        self.wakeup = wakeup
        self._receiver: socket.socket | None = None
        self._sender: socket.socket | None = None
        self.wakeups = 0
        """How many times a producer's wake-up that may be for work to claim was heard (one
        that only brought jobs handed to this worker's offer is not counted)."""
        self._handed: list[Claim] = []

    def on_stop_signals(self, handler: Callable[[int], None]) -> None:
        """Call `handler(number of stop signals so far)` on SIGTERM and SIGINT, and wake up.
        Only possible in the main thread."""
        self._receiver, self._sender = socket.socketpair()
        self._receiver.setblocking(False)
        self._sender.setblocking(False)
        signal.set_wakeup_fd(self._sender.fileno(), warn_on_full_buffer=False)
        count = 0

        def on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal count
            count += 1
            handler(count)

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_signal)

    def wait(self, watched: list[Any], timeout: float, *, listen: bool) -> None:
        """Wait for one of `watched` (connections, sentinels) or a wake-up, at most `timeout`."""
        watched = list(watched)
        if self.wakeup is not None and listen:
            watched.append(self.wakeup.fileno())
        if self._receiver is not None:
            watched.append(self._receiver.fileno())
        ready = wait(watched, max(0.0, timeout))
        if self.wakeup is not None and self.wakeup.fileno() in ready:
            heard = self.wakeup.drain()
            self._handed += heard.handed
            if heard.woken:
                self.wakeups += 1
        if self._receiver is not None and self._receiver.fileno() in ready:
            with contextlib.suppress(BlockingIOError):
                self._receiver.recv(64)

    def take_handed(self) -> list[Claim]:
        """The jobs producers handed to this worker's offers, heard since the last call."""
        handed, self._handed = self._handed, []
        return handed

    def close(self) -> None:
        if self.wakeup is not None:
            self.wakeup.close()
        if self._receiver is not None:
            signal.set_wakeup_fd(-1)
            self._receiver.close()
        if self._sender is not None:
            self._sender.close()
