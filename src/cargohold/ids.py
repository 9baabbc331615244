"""Identifiers: job ids sort by creation time yet cannot be guessed; lease tokens are random."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_last_millis = 0
_last_random = 0
_lock = threading.Lock()


def new_job_id(now: float | None = None) -> str:
    """A 26-character ULID: 48 bits of milliseconds, then 80 random bits.

    Monotonic within a process: ids made in the same millisecond increase, so sorting by
    id is sorting by creation.
    """
    global _last_millis, _last_random
    millis = int((time.time() if now is None else now) * 1000)
    with _lock:
        if millis <= _last_millis:
            millis = _last_millis
            randomness = _last_random + 1
        else:
            randomness = secrets.randbits(80)
        _last_millis, _last_random = millis, randomness
    value = (millis << 80) | (randomness & ((1 << 80) - 1))
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_lease_token() -> str:
    return secrets.token_hex(8)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
