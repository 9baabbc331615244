"""cargohold, from the repo's installed package, on SQLite or PostgreSQL (by URL)."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.peers import common, postgres
from cargohold import App


def make_app() -> App:
    app = App(store=common.url())

    @app.task
    def noop() -> None:
        pass

    @app.task
    def stamp(enqueued_at: float) -> None:
        common.stamp(enqueued_at)

    @app.task
    def burst(mib: int, hold: float) -> None:
        common.burst(mib, hold)

    @app.task(memory="1MiB")
    def hold(seconds: float) -> None:
        time.sleep(seconds)

    return app


app = make_app()
"""What `python -m cargohold worker bench.peers.cargohold_peer:app` runs."""

UNFINISHED = "SELECT count(*) FROM jobs WHERE state IN ('queued', 'scheduled', 'running')"


class Producer:
    """The driver's side: a fresh app per setup, and a reader for the polling loop."""

    def __init__(self) -> None:
        self.app = app
        self.sqlite_reader: sqlite3.Connection | None = None
        self.postgres_count = postgres.Counter(UNFINISHED)

    @property
    def sqlite_path(self) -> str | None:
        url = common.url()
        return url.removeprefix("sqlite:///") if url.startswith("sqlite:") else None

    def setup(self) -> None:
        self.close()
        if self.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(self.sqlite_path + suffix).unlink()
        else:
            postgres.reset_schema(common.url())
        self.app = make_app()
        self.app.store.migrate()

    def remaining(self) -> int:
        if self.sqlite_path is None:
            return self.postgres_count(common.url())
        if self.sqlite_reader is None:
            self.sqlite_reader = sqlite3.connect(self.sqlite_path)
        return int(self.sqlite_reader.execute(UNFINISHED).fetchone()[0])

    def analyze(self) -> None:
        if self.sqlite_path is None:
            postgres.analyze(common.url())
        else:
            with contextlib.closing(sqlite3.connect(self.sqlite_path)) as connection:
                connection.execute("ANALYZE")

    def close(self) -> None:
        if self.sqlite_reader is not None:
            self.sqlite_reader.close()
            self.sqlite_reader = None
        self.postgres_count.close()
        self.app.close()


producer = Producer()
setup = producer.setup
remaining = producer.remaining
analyze = producer.analyze
close = producer.close


def enqueue(task: str, args: list[Any]) -> None:
    producer.app.tasks[task].enqueue(*args)


def enqueue_bulk(task: str, argses: list[list[Any]]) -> None:
    producer.app.tasks[task].enqueue_many(argses)


def worker_command(python: str) -> list[str]:
    return [*default_worker_command(python), "--concurrency", "2"]


def default_worker_command(python: str) -> list[str]:
    return [python, "-m", "cargohold", "worker", f"{__name__}:app"]
