"""Helpers for the adapters on PostgreSQL (psycopg 3 is in both interpreters)."""

from __future__ import annotations

from typing import Any


def reset_schema(url: str) -> None:
    """Drop everything in the scratch database's public schema (the harness created it)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")


def analyze(url: str) -> None:
    """Refresh the planner statistics, then write the fill's pages out with a CHECKPOINT:
    otherwise the write-back of a large fill lands in whichever measurement comes next."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE")
        connection.execute("CHECKPOINT")


class Counter:
    """Runs one count query on a connection kept open for the polling loop."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self._connection: Any = None

    def __call__(self, url: str) -> int:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(url, autocommit=True)
        row = self._connection.execute(self.sql).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
