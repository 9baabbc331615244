"""Identifiers: job ids sort by creation time yet cannot be guessed; lease tokens are random."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DIGIT_PAIRS = [high + low for high in _CROCKFORD for low in _CROCKFORD]
"""Two base-32 digits for each 10-bit value: an id is 13 lookups instead of 26."""
_PAIR_SHIFTS = tuple(range(120, -1, -10))


_last_millis = 0
_sequence = 0
_lock = threading.Lock()

_RANDOM_BATCH = 4096
"""Bytes read from the OS's random source at a time: one read per 512 ids instead of one
per id (bulk enqueue spent a fifth of its time there)."""


class _RandomBatch:
    """64-bit values from the OS's cryptographic source, read in batches."""

    def __init__(self) -> None:
        self.buffer = b""
        self.at = 0

    def next_64(self) -> int:
        """Call with `_lock` held."""
        if self.at + 8 > len(self.buffer):
            self.buffer, self.at = os.urandom(_RANDOM_BATCH), 0
        value = int.from_bytes(self.buffer[self.at : self.at + 8], "big")
        self.at += 8
        return value

    def forget(self) -> None:
        """A forked child must not reuse the bytes its parent will also use."""
        self.buffer, self.at = b"", 0


_random = _RandomBatch()
os.register_at_fork(after_in_child=_random.forget)


def new_job_id(now: float | None = None) -> str:
    """A 26-character ULID-style id: 48 bits of milliseconds, a 16-bit sequence within the
    millisecond, then 64 random bits.

    Ids made by one process sort in creation order, and the 64 random bits keep them
    unguessable even from a neighbour made in the same batch.
    """
    global _last_millis, _sequence  # noqa: PLW0603 - the sequence within a millisecond
    millis = int((time.time() if now is None else now) * 1000)
    with _lock:
        if millis <= _last_millis:
            millis = _last_millis
            _sequence += 1
            if _sequence > 0xFFFF:  # more than 65,536 ids in one millisecond: borrow the next
                millis, _sequence = millis + 1, 0
        else:
            _sequence = 0
        _last_millis = millis
        sequence = _sequence
        random_bits = _random.next_64()
    value = (millis << 80) | (sequence << 64) | random_bits
    return "".join([_DIGIT_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


def new_lease_token() -> str:
    return secrets.token_hex(8)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
