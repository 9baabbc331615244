"""The `store` fixture: every contract test runs once per store kind, unchanged."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

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


# -- PostgreSQL: each test gets its own database, copied from a migrated template --------------

POSTGRES_ADMIN_URL = os.environ.get(
    "CARGOHOLD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
"""A database on the test server to connect to while creating and dropping the others."""
_PREFIX = "cargohold_test_"


def _unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, where a missing server is a broken setup."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def _database_url(name: str) -> str:
    return urlunsplit(urlsplit(POSTGRES_ADMIN_URL)._replace(path=f"/{name}"))


def _admin() -> Any:
    try:
        import psycopg
    except ModuleNotFoundError:
        _unavailable("PostgreSQL tests need psycopg: pip install -e '.[postgres]'")
    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        _unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {error}")


def _new_name(kind: str) -> str:
    return f"{_PREFIX}{os.getpid()}_{kind}_{secrets.token_hex(3)}"


def _create(admin: Any, name: str, template: str | None = None) -> None:
    from psycopg import errors, sql

    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    for _ in range(50):  # the template's last session may still be closing
        try:
            admin.execute(statement)
            return
        except errors.ObjectInUse:
            time.sleep(0.1)
    admin.execute(statement)


def _drop(admin: Any, name: str) -> None:
    from psycopg import sql

    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _drop_leftovers(admin: Any) -> None:
    """Drop the test databases of test runs that died before cleaning up (their pid is gone)."""
    names = admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{_PREFIX}%"]
    ).fetchall()
    for (name,) in names:
        pid = int(name.removeprefix(_PREFIX).split("_", 1)[0])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            _drop(admin, name)
        except PermissionError:
            pass


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database with every migration applied, copied by `CREATE DATABASE ... TEMPLATE`."""
    from cargohold.store.postgres.store import PostgresStore

    admin = _admin()
    _drop_leftovers(admin)
    name = _new_name("template")
    _create(admin, name)
    try:
        PostgresStore(_database_url(name)).close()
        yield name
    finally:
        _drop(admin, name)
        admin.close()


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """The URL of a fresh, migrated database of its own, dropped after the test."""
    admin = _admin()
    name = _new_name("db")
    try:
        _create(admin, name, template=postgres_template)
        yield _database_url(name)
    finally:
        _drop(admin, name)
        admin.close()


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """The URL of a fresh database with no schema at all, dropped after the test."""
    admin = _admin()
    name = _new_name("empty")
    try:
        _create(admin, name)
        yield _database_url(name)
    finally:
        _drop(admin, name)
        admin.close()


@pytest.fixture
def postgres_admin() -> Iterator[Any]:
    """An autocommit connection to the test server, for terminating sessions and the like."""
    admin = _admin()
    yield admin
    admin.close()
