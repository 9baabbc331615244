"""Celery on Redis: `celery worker` with the prefork pool and concurrency 2, no result backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery
from redis import Redis

from bench.peers import common

app = Celery("bench", broker=common.url())
_redis = Redis.from_url(common.url())


@app.task
def noop() -> None:
    pass


@app.task
def stamp(enqueued_at: float) -> None:
    common.stamp(enqueued_at)


@app.task
def burst(mib: int, hold: float) -> None:
    common.burst(mib, hold)


TASKS = {"noop": noop, "stamp": stamp, "burst": burst}


def setup() -> None:
    _redis.flushdb()  # the harness's own database number, never another


def enqueue(task: str, args: list[Any]) -> None:
    TASKS[task].delay(*args)


enqueue_bulk = None
"""Celery has no bulk enqueue (a group publishes its messages one by one)."""


def remaining() -> int:
    # Waiting in the list, or prefetched by a worker and not acked yet. Celery acks a task
    # when it starts it (acks_late is off by default).
    return int(_redis.llen("celery")) + int(_redis.hlen("unacked"))


def worker_command(python: str) -> list[str]:
    celery = str(Path(python).parent / "celery")
    return [celery, "-A", __name__, "worker", "--pool", "prefork", "-c", "2", "-l", "WARNING"]


def default_worker_command(python: str) -> list[str]:
    """The prefork pool with its default concurrency (the number of CPUs), prefetching and
    acking (on start)."""
    celery = str(Path(python).parent / "celery")
    return [celery, "-A", __name__, "worker", "-l", "WARNING"]


def close() -> None:
    _redis.close()
    app.close()
