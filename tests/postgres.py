"""Scratch PostgreSQL databases for tests: one per test, copied from a migrated template,
dropped afterwards. A missing server skips the test locally and fails it in CI.

Its fixtures are available to every test (tests/conftest.py imports them)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "CARGOHOLD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
"""A database on the test server to connect to while creating and dropping the others."""
_PREFIX = "cargohold_test_"


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, where a missing server is a broken setup."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


class PostgresDatabases:
    """Creates and drops the test databases; a test run that died leaves none for long."""

    def __init__(self) -> None:
        try:
            import psycopg
        except ModuleNotFoundError:
            unavailable("PostgreSQL tests need psycopg: pip install -e '.[postgres]'")
        try:
            self.admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as error:
            unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {error}")
        self._drop_leftovers()

    def create(self, kind: str, template: str | None = None) -> str:
        """A new database (a copy of `template`, else empty); its name."""
        from psycopg import errors, sql

        name = f"{_PREFIX}{os.getpid()}_{kind}_{secrets.token_hex(3)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        for _ in range(50):  # the template's last session may still be closing
            try:
                self.execute(statement)
                return name
            except errors.ObjectInUse:
                time.sleep(0.1)
        self.execute(statement)
        return name

    def drop(self, name: str) -> None:
        from psycopg import sql

        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        self.execute(statement.format(sql.Identifier(name)))

    def execute(self, statement: Any, params: Any = None) -> Any:
        """Run `statement` on the admin session, opened again if the server restarted."""
        import psycopg

        try:
            return self.admin.execute(statement, params)
        except psycopg.OperationalError:
            if not (self.admin.closed or self.admin.broken):
                raise
            self.admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
            return self.admin.execute(statement, params)

    @staticmethod
    def url(name: str) -> str:
        return urlunsplit(urlsplit(POSTGRES_ADMIN_URL)._replace(path=f"/{name}"))

    def _drop_leftovers(self) -> None:
        """Drop the databases of test runs that died before cleaning up (their pid is gone)."""
        names = self.admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{_PREFIX}%"]
        ).fetchall()
        for (name,) in names:
            pid = int(name.removeprefix(_PREFIX).split("_", 1)[0])
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                self.drop(name)
            except PermissionError:
                pass


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    yield databases
    databases.admin.close()


@pytest.fixture(scope="session")
def postgres_template(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A database with every migration applied, copied by `CREATE DATABASE ... TEMPLATE`."""
    from cargohold.store.postgres.store import PostgresStore

    name = postgres_databases.create("template")
    try:
        PostgresStore(postgres_databases.url(name)).close()
        yield name
    finally:
        postgres_databases.drop(name)


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases, postgres_template: str) -> Iterator[str]:
    """The URL of a fresh, migrated database of its own, dropped after the test."""
    name = postgres_databases.create("db", template=postgres_template)
    try:
        yield postgres_databases.url(name)
    finally:
        postgres_databases.drop(name)


@pytest.fixture
def empty_postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """The URL of a fresh database with no schema at all, dropped after the test."""
    name = postgres_databases.create("empty")
    try:
        yield postgres_databases.url(name)
    finally:
        postgres_databases.drop(name)


@pytest.fixture
def postgres_admin(postgres_databases: PostgresDatabases) -> Any:
    """An autocommit connection to the test server, for terminating sessions and the like."""
    return postgres_databases.admin
