"""Transactional enqueue through the public API: `connection=` on `enqueue`, `options` and
`enqueue_many`, with sqlite3, psycopg and (when installed) SQLAlchemy connections.

Each test: the app's business row and its job are written in one transaction of the
caller's; the job exists if and only if that transaction commits."""

from __future__ import annotations

import select
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cargohold import App, ConfigurationError, StoreError
from cargohold.records import JobFilter
from cargohold.task import Task

ORDERS = "CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY)"


def build_app(url: str) -> App:
    app = App(url)

    @app.task(queue="orders")
    def fulfil(order_id: str) -> str:
        return order_id

    return app


def fulfil(app: App) -> Task[[str], str]:
    return app.tasks["fulfil"]


@pytest.fixture(params=["sqlite", "postgresql"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def app(url: str) -> Iterator[App]:
    built = build_app(url)
    built.store  # noqa: B018 - create the schema before the caller's connection opens
    yield built
    built.close()


@pytest.fixture
def connect(kind: str, url: str) -> Iterator[Callable[[], Any]]:
    """The app's own DB-API connection to the store's database, with an `orders` table."""
    opened: list[Any] = []

    def open_connection() -> Any:
        if kind == "sqlite":
            connection: Any = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=10)
        else:
            import psycopg

            connection = psycopg.connect(url)
        connection.execute(ORDERS)
        connection.commit()
        opened.append(connection)
        return connection

    yield open_connection
    for connection in opened:
        connection.close()


def orders(app: App) -> set[str]:
    return {job.args.split('"')[3] for job in app.store.find_jobs(JobFilter(queues=("orders",)))}


def test_a_committed_order_has_its_job_and_a_rolled_back_one_has_none(
    app: App, connect: Callable[[], Any]
) -> None:
    connection = connect()
    # Given an order row and its job written in one transaction, committed...
    connection.execute("INSERT INTO orders VALUES ('o1')")
    job = fulfil(app).enqueue("o1", connection=connection)
    assert app.store.get_job(job.id) is None
    connection.commit()
    # ...and another one rolled back,
    connection.execute("INSERT INTO orders VALUES ('o2')")
    fulfil(app).options(connection=connection, key="order:o2").enqueue("o2")
    connection.rollback()
    # Then exactly the committed order has a job.
    assert orders(app) == {"o1"}
    assert job.refresh().state == "queued"


def test_enqueue_many_and_options_join_one_transaction(
    app: App, connect: Callable[[], Any]
) -> None:
    connection = connect()
    task = fulfil(app)
    calls = [task.call("a"), task.options(connection=connection).call("b")]
    jobs = app.enqueue_many(calls, connection=connection)
    jobs.append(app.enqueue("fulfil", ["c"], connection=connection))
    assert orders(app) == set()
    connection.commit()
    assert orders(app) == {"a", "b", "c"} and len(jobs) == 3


def test_a_large_enqueue_many_joins_the_transaction_whole(
    app: App, connect: Callable[[], Any]
) -> None:
    """Enough calls that some stores write them in several statements: all of them commit or
    roll back with the caller's transaction."""
    connection = connect()
    task = fulfil(app)
    rolled_back = app.enqueue_many(
        [task.call(f"r{n}") for n in range(1_200)], connection=connection
    )
    connection.rollback()
    assert orders(app) == set() and len(rolled_back) == 1_200
    app.enqueue_many([task.call(f"c{n}") for n in range(1_200)], connection=connection)
    assert orders(app) == set()
    connection.commit()
    assert len(app.store.find_jobs(JobFilter(queues=("orders",), limit=2_000))) == 1_200


def test_calls_with_different_connections_are_refused(app: App, connect: Callable[[], Any]) -> None:
    task = fulfil(app)
    calls = [task.options(connection=connect()).call("a"), task.call("b")]
    with pytest.raises(ConfigurationError, match="share one connection"):
        app.enqueue_many(calls, connection=connect())


def test_a_key_taken_earlier_in_the_same_transaction_returns_that_job(
    app: App, connect: Callable[[], Any]
) -> None:
    connection = connect()
    first = fulfil(app).enqueue("k", key="order:k", connection=connection)
    again = fulfil(app).enqueue("k", key="order:k", connection=connection)
    assert (again.id, again.created) == (first.id, False)
    connection.commit()
    assert len(app.store.find_jobs(JobFilter())) == 1


def test_connection_is_a_reserved_parameter_name(app: App) -> None:
    with pytest.raises(ConfigurationError, match="connection"):

        @app.task
        def save(connection: str) -> None: ...


def test_a_connection_to_another_database_is_refused(
    kind: str, app: App, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        other: Any = sqlite3.connect(tmp_path / "other.db")
        expected = "other.db, not to the store's file"
    else:
        import psycopg

        databases = request.getfixturevalue("postgres_databases")
        name = databases.create("other")
        request.addfinalizer(lambda: databases.drop(name))
        other = psycopg.connect(databases.url(name))
        expected = f"database '{name}'"
    try:
        with pytest.raises(ConfigurationError, match=expected):
            fulfil(app).enqueue("x", connection=other)
    finally:
        other.close()


def test_a_connection_of_the_other_stores_kind_is_refused(
    kind: str, app: App, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "sqlite":
        pytest.importorskip("psycopg")
        other: Any = request.getfixturevalue("postgres_databases").admin
        expected = r"psycopg.*joins a sqlite3.Connection"
    else:
        other = sqlite3.connect(tmp_path / "x.db")
        expected = r"sqlite3.Connection; the PostgreSQL store .* joins a psycopg 3 connection"
    with pytest.raises(ConfigurationError, match=expected):
        fulfil(app).enqueue("x", connection=other)


# -- PostgreSQL only ---------------------------------------------------------------------------


def test_postgres_wakes_workers_only_when_the_caller_commits(postgres_url: str) -> None:
    import psycopg

    app = build_app(postgres_url)
    wakeup = app.store.wakeup()
    assert wakeup is not None
    try:
        with psycopg.connect(postgres_url) as connection:
            fulfil(app).enqueue("w", connection=connection)
            readable, _, _ = select.select([wakeup.fileno()], [], [], 0.3)
            assert readable == [], "woken before the commit"
            connection.commit()
        readable, _, _ = select.select([wakeup.fileno()], [], [], 5.0)
        assert readable, "no wake-up after the commit"
    finally:
        wakeup.close()
        app.close()


def test_postgres_autocommit_joins_an_explicit_transaction(postgres_url: str) -> None:
    import psycopg

    app = build_app(postgres_url)
    try:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            with connection.transaction():
                job = fulfil(app).enqueue("t", connection=connection)
            with pytest.raises(ConfigurationError, match="autocommit"):
                fulfil(app).enqueue("u", connection=connection)
        assert app.store.get_job(job.id) is not None
    finally:
        app.close()


def test_postgres_failed_transaction_is_named(postgres_url: str) -> None:
    import psycopg

    app = build_app(postgres_url)
    try:
        with psycopg.connect(postgres_url) as connection:
            with pytest.raises(psycopg.errors.DivisionByZero):
                connection.execute("SELECT 1 / 0")
            with pytest.raises(StoreError, match="failed transaction"):
                fulfil(app).enqueue("x", connection=connection)
    finally:
        app.close()


# -- SQLAlchemy, when installed ----------------------------------------------------------------


def sqlalchemy_url(kind: str, url: str) -> str:
    if kind == "sqlite":
        return url
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.mark.parametrize("how", ["session", "connection"])
def test_sqlalchemy_session_and_connection_join_the_transaction(
    kind: str, url: str, app: App, connect: Callable[[], Any], how: str
) -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy.orm import Session

    connect()  # creates the orders table
    engine = sqlalchemy.create_engine(sqlalchemy_url(kind, url))
    insert = sqlalchemy.text("INSERT INTO orders VALUES (:id)")
    try:
        for order, commit in (("s1", True), ("s2", False)):
            if how == "session":
                with Session(engine) as session:
                    session.execute(insert, {"id": order})
                    fulfil(app).enqueue(order, connection=session)
                    session.commit() if commit else session.rollback()
            else:
                with engine.connect() as connection:
                    connection.execute(insert, {"id": order})
                    fulfil(app).enqueue(order, connection=connection)
                    connection.commit() if commit else connection.rollback()
        assert orders(app) == {"s1"}
    finally:
        engine.dispose()
