"""The caller's own database connection, for enqueueing inside the caller's transaction.

`task.enqueue(..., connection=conn)` takes a DB-API connection (psycopg 3 or sqlite3) or a
SQLAlchemy `Session` or `Connection`; SQLAlchemy is recognised by duck typing, so it is never
imported here. The store then writes the job with the caller's connection, and the job
exists if and only if the caller's transaction commits.
"""

from __future__ import annotations

from typing import Any

from cargohold.errors import ConfigurationError


def driver_connection(connection: object) -> object:
    """The DB-API connection behind `connection` (itself, unless it is SQLAlchemy's)."""
    if not type(connection).__module__.startswith("sqlalchemy."):
        return connection
    kind = type(connection).__name__
    if "Async" in kind:
        raise ConfigurationError(
            f"connection= got a SQLAlchemy {kind}; cargohold enqueues synchronously: pass a "
            "Session or Connection (for an AsyncSession, its .sync_session)"
        )
    sqlalchemy_connection: Any = connection
    if callable(getattr(connection, "connection", None)):  # a Session: its Connection
        sqlalchemy_connection = connection.connection()  # type: ignore[attr-defined]
    proxied = getattr(sqlalchemy_connection, "connection", None)
    raw = getattr(proxied, "driver_connection", None)
    if raw is None:
        raise ConfigurationError(
            f"connection= got a SQLAlchemy {kind} whose driver connection cannot be reached; "
            "pass a Session, a Connection, or the driver's own connection"
        )
    return raw


def describe(connection: object) -> str:
    """`connection`'s kind as a user would name it, for error messages."""
    kind = type(connection)
    return f"{kind.__module__}.{kind.__qualname__}"
