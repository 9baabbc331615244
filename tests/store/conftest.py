"""The `store` fixture: every contract test runs once per store kind, unchanged."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cargohold.store import Store
from cargohold.store.sqlite.store import SQLiteStore

STORE_KINDS = ["sqlite", "postgresql"]


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = SQLiteStore(f"sqlite:///{tmp_path / 'contract.db'}")
        yield opened
        opened.close()
    elif request.param == "postgresql":
        from cargohold.store.postgres.store import PostgresStore

        opened_pg = PostgresStore(request.getfixturevalue("postgres_url"))
        yield opened_pg
        opened_pg.close()


@pytest.fixture
def connect(request: pytest.FixtureRequest, store: Store) -> Iterator[Callable[..., Any]]:
    """Opens connections of the caller's own to the `store`'s database, as an app would for
    its business rows: `connect()`, or `connect(autocommit=True)`. Closed after the test."""
    opened: list[Any] = []

    def open_connection(*, autocommit: bool = False) -> Any:
        if isinstance(store, SQLiteStore):
            connection: Any = sqlite3.connect(
                store.path, isolation_level=None if autocommit else "", timeout=10
            )
        else:
            import psycopg

            url = request.getfixturevalue("postgres_url")
            connection = psycopg.connect(url, autocommit=autocommit)
        opened.append(connection)
        return connection

    yield open_connection
    for connection in opened:
        connection.close()
