"""The servers the peers use, already running on this host: the harness only creates (and
drops) its own scratch databases in PostgreSQL and flushes its own Redis database number."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = 13
"""The one Redis database number the benchmark owns and flushes."""
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
SCRATCH_PREFIX = "bench_"
RESTART_PATIENCE = 60.0
"""Seconds to wait for PostgreSQL to come back when it restarts under us."""


def redis_url() -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"


def _redis_command(*words: str) -> list[bytes]:
    """Send commands in RESP on one connection; return the raw first line of each reply."""
    payload = b"".join(
        f"*{len(cmd)}\r\n".encode() + b"".join(f"${len(w)}\r\n{w}\r\n".encode() for w in cmd)
        for cmd in (w.split() for w in words)
    )
    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=3) as connection:
        connection.sendall(payload)
        replies: list[bytes] = []
        buffer = b""
        while len(replies) < len(words):
            chunk = connection.recv(4096)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\r\n")
            replies += lines
    return replies


def redis_available() -> str | None:
    """None if Redis answers, else why not."""
    try:
        reply = _redis_command("PING")
    except OSError as error:
        return f"Redis at {REDIS_HOST}:{REDIS_PORT} is unreachable: {error}"
    return None if reply[:1] == [b"+PONG"] else f"Redis answered {reply!r} to PING"


def flush_redis() -> None:
    """Empty database number REDIS_DB, and only that one."""
    _redis_command(f"SELECT {REDIS_DB}", "FLUSHDB")


@dataclass
class Postgres:
    """Creates scratch databases named bench_*, and drops every one it created."""

    admin_url: str = POSTGRES_ADMIN_URL

    def __post_init__(self) -> None:
        self.created: list[str] = []

    def unavailable(self) -> str | None:
        try:
            import psycopg
        except ModuleNotFoundError:
            return "psycopg is not installed in the harness's interpreter"
        try:
            with psycopg.connect(self.admin_url, connect_timeout=3):
                return None
        except psycopg.Error as error:
            return f"PostgreSQL at {self.admin_url} is unreachable: {error}".strip()

    def url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{name}"))

    def create(self, peer_id: str) -> str:
        """A new empty database for this peer; returns its URL."""
        name = SCRATCH_PREFIX + peer_id.replace("-", "_")
        self.drop(name)  # left over from an interrupted run of ours
        self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        assert name.startswith(SCRATCH_PREFIX), name
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            self.drop(name)

    def _admin(self, statement: str) -> None:
        """Run one statement, waiting out a server restart (others share this server)."""
        import psycopg

        deadline = time.monotonic() + RESTART_PATIENCE
        while True:
            try:
                with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(statement)  # type: ignore[arg-type]
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
