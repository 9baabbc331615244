"""The caller's sqlite3 connection, checked before jobs are written inside its transaction:
a `sqlite3.Connection` to the store's own file, with a transaction open or about to open."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from cargohold.errors import ConfigurationError
from cargohold.store.joined import describe
from cargohold.store.sqlfiles import statement

_LEGACY = getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", -1)


def joined_cursor(connection: object, store_file: Path) -> sqlite3.Cursor:
    """A cursor on the caller's connection; ConfigurationError if it cannot join."""
    if not isinstance(connection, sqlite3.Connection):
        raise ConfigurationError(
            f"connection= got a {describe(connection)}; the SQLite store "
            f"sqlite:///{store_file} joins a sqlite3.Connection to that same file (or a "
            "SQLAlchemy Session or Connection on it)"
        )
    files = {
        row[1]: row[2]
        for row in connection.execute(statement("cargohold.store.sqlite", "database_list"))
    }
    theirs = files.get("main") or ""
    if not theirs or not _same_file(theirs, store_file):
        shown = theirs or "an in-memory database"
        raise ConfigurationError(
            f"connection= is connected to {shown}, not to the store's file {store_file}; "
            "pass a connection to the store's file"
        )
    autocommit = getattr(connection, "autocommit", _LEGACY)
    without_transaction = (
        connection.isolation_level is None if autocommit == _LEGACY else autocommit is True
    )
    if without_transaction and not connection.in_transaction:
        raise ConfigurationError(
            "connection= is in autocommit mode with no transaction open, so the job would be "
            "committed at once instead of with your transaction; run BEGIN IMMEDIATE first "
            "(or open the connection with isolation_level='IMMEDIATE')"
        )
    return connection.cursor()


def _same_file(path: str, store_file: Path) -> bool:
    try:
        return os.path.samefile(path, store_file)
    except OSError:
        return False
