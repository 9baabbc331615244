"""Concurrency limits shared by every process that uses the store: `app.limit(name, ...)`.

A slot is a row in the store with a lease. Jobs of a task declared with `limits=[...]` take
their slots in the claim itself and their worker extends them with its heartbeat. Code that
holds a slot with `with limit:` (or `async with limit:`) has its lease extended by a small
background thread of this process while the block runs; if the process dies, the slot frees
itself when its lease runs out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import threading
import time
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from cargohold.errors import ConfigurationError, LimitBusyError
from cargohold.records import SlotHolder, SlotRequest

if TYPE_CHECKING:
    from cargohold.store.protocol import Store

log = logging.getLogger("cargohold.limits")

DEFAULT_LEASE = 60.0
"""Seconds a slot held by code stays held if its process stops extending it (it died)."""
DEFAULT_WAIT = 30.0
"""Seconds `with limit:` waits for a free slot before raising LimitBusyError."""
POLL_FIRST, POLL_MAX = 0.01, 0.5


def check_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"a {kind} needs a non-empty name, got {name!r}")
    return name


@dataclass(slots=True)
class Slot:
    """One slot held by this process; `release()` gives it back (idempotent)."""

    limit: Limit
    token: str
    acquired_at: float
    released: bool = field(default=False)

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        keeper_for(self.limit.store).forget(self.token)
        self.limit.store.release_slots([self.token])


class Limit:
    """At most `concurrency` holders at once of this limit (per key), across all processes.

    Declared once with `app.limit(name, concurrency=N)`; `app.limit(name)` (or
    `limit.key(value)`) returns it again, bound to a key for per-key limits.
    """

    def __init__(
        self,
        store: Callable[[], Store],
        name: str,
        concurrency: int,
        *,
        key: str = "",
        lease: float = DEFAULT_LEASE,
        wait: float | None = DEFAULT_WAIT,
    ) -> None:
        if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
            raise ConfigurationError(
                f"limit {name!r}: concurrency must be a whole number >= 1, got {concurrency!r}"
            )
        if lease <= 0:
            raise ConfigurationError(f"limit {name!r}: lease must be > 0 seconds")
        self._store = store
        self.name = check_name("limit", name)
        self.concurrency = concurrency
        self.key_value = str(key)
        self.lease = lease
        self.wait = wait
        self._held: ContextVar[tuple[Slot, ...]] = ContextVar(f"cargohold_limit_{name}", default=())

    def __repr__(self) -> str:
        key = f" key={self.key_value!r}" if self.key_value else ""
        return f"<Limit {self.name}{key} concurrency={self.concurrency}>"

    @property
    def store(self) -> Store:
        return self._store()

    def key(self, value: object) -> Limit:
        """This limit for one key: each key has its own `concurrency` slots."""
        bound = Limit(
            self._store,
            self.name,
            self.concurrency,
            key=str(value),
            lease=self.lease,
            wait=self.wait,
        )
        bound._held = self._held
        return bound

    def holders(self) -> list[SlotHolder]:
        """Who holds this limit's slots now (jobs and code), oldest first."""
        store = self.store
        return store.limit_holders(self.name, self.key_value, store.now())

    # -- taking and giving back --------------------------------------------------------------

    def try_acquire(self) -> Slot | None:
        """A slot if one is free now, else None; never waits."""
        store = self.store
        token = secrets.token_hex(12)
        request = SlotRequest(
            token, self.name, self.key_value, self.concurrency, _holder(), self.lease
        )
        now = store.now()
        if not store.acquire_slot(request, now):
            return None
        keeper_for(store).keep(token, self.lease)
        return Slot(self, token, now)

    def acquire(self, timeout: float | None = None) -> Slot:
        """A slot, waiting up to `timeout` seconds (default: the limit's `wait`, which is
        None to wait for ever) for one to free; LimitBusyError if none did."""
        timeout = self.wait if timeout is None else timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = POLL_FIRST
        while True:
            slot = self.try_acquire()
            if slot is not None:
                return slot
            if deadline is not None and time.monotonic() + delay > deadline:
                raise self._busy(timeout)
            time.sleep(delay)
            delay = min(delay * 2, POLL_MAX)

    async def acquire_async(self, timeout: float | None = None) -> Slot:
        """`acquire` for asyncio code: waits without blocking the event loop."""
        timeout = self.wait if timeout is None else timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = POLL_FIRST
        while True:
            slot = await asyncio.to_thread(self.try_acquire)
            if slot is not None:
                return slot
            if deadline is not None and time.monotonic() + delay > deadline:
                raise self._busy(timeout)
            await asyncio.sleep(delay)
            delay = min(delay * 2, POLL_MAX)

    def _busy(self, waited: float | None) -> LimitBusyError:
        holders = self.holders()
        held_by = ", ".join(h.job_id or h.holder for h in holders[:5]) or "nobody now"
        key = f" (key {self.key_value!r})" if self.key_value else ""
        return LimitBusyError(
            f"limit {self.name!r}{key}: all {self.concurrency} slots stayed taken for "
            f"{waited:g}s (held by {held_by}); try again later, or raise its concurrency"
        )

    def __enter__(self) -> Slot:
        slot = self.acquire()
        self._held.set((*self._held.get(), slot))
        return slot

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._pop().release()

    async def __aenter__(self) -> Slot:
        slot = await self.acquire_async()
        self._held.set((*self._held.get(), slot))
        return slot

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self._pop().release)

    def _pop(self) -> Slot:
        held = self._held.get()
        mine = [s for s in held if s.limit.key_value == self.key_value]
        slot = mine[-1]
        self._held.set(tuple(s for s in held if s is not slot))
        return slot


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


class SlotKeeper:
    """Extends the leases of the slots this process holds, from one daemon thread, every
    third of the shortest lease: a busy request keeps its slot, a dead process loses it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._leases: dict[str, float] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._interval = DEFAULT_LEASE / 3

    def keep(self, token: str, lease: float) -> None:
        with self._lock:
            self._leases[token] = lease
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="cargohold-slot-keeper", daemon=True
                )
                self._thread.start()
        if lease / 3 < self._interval:  # the thread sleeps too long for this lease
            self._wake.set()

    def forget(self, token: str) -> None:
        with self._lock:
            self._leases.pop(token, None)

    def _run(self) -> None:
        while True:
            with self._lock:
                leases = dict(self._leases)
            self._interval = min(leases.values(), default=DEFAULT_LEASE) / 3
            self._wake.wait(self._interval)
            self._wake.clear()
            with self._lock:
                leases = dict(self._leases)
            by_lease: dict[float, list[str]] = {}
            for token, lease in leases.items():
                by_lease.setdefault(lease, []).append(token)
            for lease, tokens in by_lease.items():
                try:
                    kept = self.store.extend_slots(tokens, lease, self.store.now())
                except Exception:  # the store is down: the leases cover a few misses
                    log.warning("could not extend %d slot lease(s)", len(tokens), exc_info=True)
                    continue
                for token in set(tokens) - kept:
                    log.error("slot %s was lost (its lease ran out before it was extended)", token)
                    self.forget(token)


_keepers: weakref.WeakKeyDictionary[object, SlotKeeper] = weakref.WeakKeyDictionary()
_keepers_lock = threading.Lock()


def keeper_for(store: Store) -> SlotKeeper:
    with _keepers_lock:
        keeper = _keepers.get(store)
        if keeper is None:
            keeper = _keepers[store] = SlotKeeper(store)
        return keeper
