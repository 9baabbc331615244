"""Same-host wake-ups for SQLite: an idle worker listens on a datagram socket and leaves a
marker file in a folder beside the database; a producer that commits a ready job sends one
byte to every worker that left a marker. A producer that handed its job to a worker's
standing offer (0005_offers.sql) sends that worker the job itself instead.

On Linux the sockets live in the abstract namespace (no path, so no length limit and nothing
to clean up); the markers are only there to be listed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import socket
import sys
from pathlib import Path

from cargohold.records import Claim, Heard
from cargohold.store.handing import handed_claim, handed_payload

log = logging.getLogger("cargohold.store.sqlite")

_ABSTRACT = sys.platform.startswith("linux")


def wakeup_folder(database: Path) -> Path:
    return database.with_name(database.name + ".wake")


def _address(folder: Path, marker: str) -> str | bytes:
    if _ABSTRACT:
        digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
        return f"\0cargohold-{digest}-{marker}".encode()
    return str(folder / marker)


WAKE = b"!"
"""The datagram that only wakes a worker; any other carries a job handed to it."""
LARGEST_DATAGRAM = 1 << 17
"""Bytes read at most per datagram: more than a handed job takes (`HANDED_SIZE` characters,
at most 4 bytes each)."""


def handed_marker(worker_id: str) -> str:
    """The marker (and socket name) of a worker's wake-up, where the jobs handed to its
    standing offer are sent: a name of its own, short enough for any worker id."""
    return "w-" + hashlib.sha256(worker_id.encode()).hexdigest()[:24]


class SocketWakeup:
    """A worker's end: a datagram socket that becomes readable when a producer notifies.
    With `worker_id`, its name is the worker's `handed_marker`, where handed jobs come."""

    def __init__(self, folder: Path, worker_id: str | None = None) -> None:
        folder.mkdir(mode=0o700, exist_ok=True)
        if worker_id is None:
            marker = f"{os.getpid()}-{secrets.token_hex(4)}"
        else:
            marker = handed_marker(worker_id)
        self.path = folder / marker
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(_address(folder, marker))
        self._socket.setblocking(False)
        if _ABSTRACT:
            self.path.touch(mode=0o600)

    def fileno(self) -> int:
        return self._socket.fileno()

    def drain(self) -> Heard:
        """Consume the wake-ups: the jobs handed to this worker among them, and whether any
        came without a job."""
        handed: list[Claim] = []
        plain = False
        with contextlib.suppress(BlockingIOError):
            while True:
                datagram = self._socket.recv(LARGEST_DATAGRAM)
                if datagram == WAKE:
                    plain = True
                    continue
                try:
                    handed.append(handed_claim(datagram.decode()))
                except ValueError:  # not a producer's: any local process may send here
                    log.warning("ignored a malformed wake-up datagram (%d bytes)", len(datagram))
                    plain = True
        return Heard(handed, woken=plain or not handed)

    def close(self) -> None:
        self._socket.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class Notifier:
    """A producer's end: wakes every worker listening beside the database."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._socket: socket.socket | None = None

    def notify(self) -> None:
        try:
            entries = list(os.scandir(self._folder))
        except FileNotFoundError:
            return
        if not entries:
            return
        if self._socket is None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._socket.setblocking(False)
        for entry in entries:
            try:
                self._socket.sendto(WAKE, _address(self._folder, entry.name))
            except BlockingIOError:
                pass  # its buffer is full: it has wake-ups pending already
            except (ConnectionRefusedError, FileNotFoundError):
                # Nobody listens there any more: the worker died without cleaning up.
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
            except OSError:
                pass

    def hand(self, marker: str, claim: Claim) -> None:
        """Send the job handed to a worker's offer to that worker. If it cannot be sent, the
        worker finds the job when it withdraws its offer, before its next claim."""
        if self._socket is None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._socket.setblocking(False)
        with contextlib.suppress(OSError):
            self._socket.sendto(handed_payload(claim).encode(), _address(self._folder, marker))

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
