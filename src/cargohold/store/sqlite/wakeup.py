"""Same-host wake-ups for SQLite: idle workers bind a datagram socket in a folder beside the
database file; a producer that commits a ready job sends one byte to each of them."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import socket
import tempfile
from pathlib import Path

_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes; leave room for the socket's own name


def wakeup_folder(database: Path) -> Path:
    """Beside the database when the path is short enough for a socket, else in the temp dir."""
    beside = database.with_name(database.name + ".wake")
    if len(str(beside)) + 24 <= _MAX_SOCKET_PATH:
        return beside
    digest = hashlib.sha256(str(database).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"cargohold-{os.getuid()}-{digest}.wake"


class SocketWakeup:
    """A worker's end: a datagram socket that becomes readable when a producer notifies."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, exist_ok=True)
        self.path = folder / f"{os.getpid()}-{secrets.token_hex(4)}.sock"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(self.path))
        self._socket.setblocking(False)

    def fileno(self) -> int:
        return self._socket.fileno()

    def drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while True:
                self._socket.recv(64)

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
                self._socket.sendto(b"!", entry.path)
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
