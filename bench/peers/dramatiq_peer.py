"""Dramatiq on Redis: `dramatiq -p 2` (its default 8 threads per process), default middleware."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from bench.peers import common

broker = RedisBroker(url=common.url())
dramatiq.set_broker(broker)


@dramatiq.actor
def noop() -> None:
    pass


@dramatiq.actor
def stamp(enqueued_at: float) -> None:
    common.stamp(enqueued_at)


@dramatiq.actor
def burst(mib: int, hold: float) -> None:
    common.burst(mib, hold)


TASKS = {"noop": noop, "stamp": stamp, "burst": burst}


def setup() -> None:
    broker.client.flushdb()  # the harness's own database number, never another


def enqueue(task: str, args: list[Any]) -> None:
    TASKS[task].send(*args)


enqueue_bulk = None
"""Dramatiq has no bulk enqueue (group() sends its messages one by one)."""


def remaining() -> int:
    # A message stays in the queue's .msgs hash until a worker acks it after running it.
    return int(broker.client.hlen("dramatiq:default.msgs"))


def worker_command(python: str) -> list[str]:
    return [str(Path(python).parent / "dramatiq"), __name__, "--processes", "2"]


def default_worker_command(python: str) -> list[str]:
    """One worker process per CPU, 8 threads each: dramatiq's defaults."""
    return [str(Path(python).parent / "dramatiq"), __name__]


def close() -> None:
    broker.close()
