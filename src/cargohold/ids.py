"""Identifiers: job ids sort by creation time yet cannot be guessed; lease tokens are random."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DIGIT_PAIRS = [high + low for high in _CROCKFORD for low in _CROCKFORD]
"""Two base-32 digits for each 10-bit value: an id is 13 lookups instead of 26."""
_PAIR_SHIFTS = tuple(range(120, -1, -10))


_last_stamp = 0
"""The last (milliseconds << 16 | sequence) given to an id by this process."""
_lock = threading.Lock()

_RANDOM_BATCH = 4096
"""Bytes read from the OS's random source at a time: one read per 512 ids instead of one
per id (bulk enqueue spent a fifth of its time there)."""
_IDS_BATCH = _RANDOM_BATCH // 8
"""Ids `new_job_ids` makes at a time, from one reservation of stamps and one read of random
bytes."""


class _RandomBatch:
    """64-bit values from the OS's cryptographic source, read in batches."""

    def __init__(self) -> None:
        self.buffer = b""
        self.at = 0

    def take(self, size: int) -> bytes:
        """`size` bytes, at most `_RANDOM_BATCH`. Call with `_lock` held."""
        if self.at + size > len(self.buffer):
            self.buffer, self.at = os.urandom(_RANDOM_BATCH), 0
        taken = self.buffer[self.at : self.at + size]
        self.at += size
        return taken

    def forget(self) -> None:
        """A forked child must not reuse the bytes its parent will also use."""
        self.buffer, self.at = b"", 0


_random = _RandomBatch()
os.register_at_fork(after_in_child=_random.forget)


def _reserve_stamps(now: float | None, count: int) -> int:
    """The first of `count` consecutive stamps no other id of this process has: from `now`'s
    millisecond, sequence 0, or just after the last one given (more than 65,536 ids in one
    millisecond borrow the next millisecond). Call with `_lock` held."""
    global _last_stamp  # noqa: PLW0603 - the process's one clock of ids
    first = max(int((time.time() if now is None else now) * 1000) << 16, _last_stamp + 1)
    _last_stamp = first + count - 1
    return first


def new_job_id(now: float | None = None) -> str:
    """A 26-character ULID-style id: 48 bits of milliseconds, a 16-bit sequence within the
    millisecond, then 64 random bits.

    Ids made by one process sort in creation order, and the 64 random bits keep them
    unguessable even from a neighbour made in the same batch.
    """
    with _lock:
        stamp = _reserve_stamps(now, 1)
        random_bytes = _random.take(8)
    return _encode((stamp << 64) | int.from_bytes(random_bytes, "big"))


def new_job_ids(count: int, now: float | None = None) -> Iterator[str]:
    """`count` ids as `new_job_id` makes them, for the jobs of one batch, made as they are
    read: their stamps and random bits are taken a few hundred at a time, two thirds of the
    work of ids made alone. Ids made meanwhile by other threads may sort among
    the batch's."""
    from_bytes = int.from_bytes
    while count > 0:
        block = min(count, _IDS_BATCH)
        count -= block
        with _lock:
            stamp = _reserve_stamps(now, block)
            random_bytes = _random.take(block * 8)
        for index in range(block):
            at = index * 8
            yield _encode(((stamp + index) << 64) | from_bytes(random_bytes[at : at + 8], "big"))


def _encode(value: int) -> str:
    """A 128-bit value in 26 Crockford base-32 digits."""
    pairs = _DIGIT_PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


def new_lease_token() -> str:
    return secrets.token_hex(8)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
