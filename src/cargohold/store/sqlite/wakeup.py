"""Same-host wake-ups for SQLite: an idle worker listens on a datagram socket and leaves a
marker file in a folder beside the database; a producer that commits a ready job sends one
byte to every worker that left a marker.

On Linux the sockets live in the abstract namespace (no path, so no length limit and nothing
to clean up); the markers are only there to be listed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import socket
import sys
from pathlib import Path

from cargohold.records import Claim

_ABSTRACT = sys.platform.startswith("linux")


def wakeup_folder(database: Path) -> Path:
    return database.with_name(database.name + ".wake")


def _address(folder: Path, marker: str) -> str | bytes:
    if _ABSTRACT:
        digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
        return f"\0cargohold-{digest}-{marker}".encode()
    return str(folder / marker)


class SocketWakeup:
    """A worker's end: a datagram socket that becomes readable when a producer notifies."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, exist_ok=True)
        marker = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.path = folder / marker
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(_address(folder, marker))
        self._socket.setblocking(False)
        if _ABSTRACT:
            self.path.touch(mode=0o600)

    def fileno(self) -> int:
        return self._socket.fileno()

    def drain(self) -> list[Claim]:
        """Consume the wake-ups; no job is ever handed to a worker here (see `stand_offer`)."""
        with contextlib.suppress(BlockingIOError):
            while True:
                self._socket.recv(64)
        return []

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
                self._socket.sendto(b"!", _address(self._folder, entry.name))
            except BlockingIOError:
                pass  # its buffer is full: it has wake-ups pending already
            except (ConnectionRefusedError, FileNotFoundError):
                # Nobody listens there any more: the worker died without cleaning up.
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
            except OSError:
                pass

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
