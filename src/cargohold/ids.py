"""Identifiers: job ids sort by creation time yet cannot be guessed; lease tokens are random."""

from __future__ import annotations

import os
import secrets
import socket
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_job_id(now: float | None = None) -> str:
    """A 26-character ULID: 48 bits of milliseconds, then 80 random bits."""
    millis = int((time.time() if now is None else now) * 1000)
    value = (millis << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_lease_token() -> str:
    return secrets.token_hex(8)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
