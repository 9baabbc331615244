"""Identifiers: job ids sort by creation time yet cannot be guessed; lease tokens are random."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_last_millis = 0
_sequence = 0
_lock = threading.Lock()


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
    value = (millis << 80) | (sequence << 64) | secrets.randbits(64)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_lease_token() -> str:
    return secrets.token_hex(8)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
