"""huey with its SQLite storage, its Redis storage, or its SQL storage (peewee) on PostgreSQL,
chosen by the peer id. Consumer: `huey_consumer -w 2 -k process`, otherwise huey's defaults."""

from __future__ import annotations

from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from bench.peers import common, postgres


def _make_huey() -> Huey:
    storage = common.peer_id().removeprefix("huey-")
    if storage == "sqlite":
        return SqliteHuey("bench", filename=common.url().removeprefix("sqlite:///"))
    if storage == "redis":
        return RedisHuey("bench", url=common.url())
    from huey.contrib.sql_huey import SqlHuey

    return SqlHuey("bench", database=common.url())


huey = _make_huey()


@huey.task()
def noop() -> None:
    pass


@huey.task()
def stamp(enqueued_at: float) -> None:
    common.stamp(enqueued_at)


TASKS = {"noop": noop, "stamp": stamp}


def setup() -> None:
    if common.peer_id() == "huey-pg":
        postgres.reset_schema(common.url())
        huey.storage.create_tables()
    huey.flush()


def enqueue(task: str, args: list[Any]) -> None:
    TASKS[task](*args)


enqueue_bulk = None
"""huey has no bulk enqueue."""


def remaining() -> int:
    # huey deletes a task from its queue when a worker picks it up: "remaining" is the queue
    # length, and a picked task counts as done from then on (at-most-once delivery).
    return int(huey.pending_count())


def analyze() -> None:
    if common.peer_id() == "huey-pg":
        postgres.analyze(common.url())
    elif common.peer_id() == "huey-sqlite":
        huey.storage.conn.execute("ANALYZE")


def worker_command(python: str) -> list[str]:
    return [python, "-m", "huey.bin.huey_consumer", f"{__name__}.huey", "-w", "2", "-k", "process"]


def close() -> None:
    huey.storage.close()
