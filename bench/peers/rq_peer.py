"""RQ: `rq worker-pool -n 2` (each worker forks a work horse per job), RQ's defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry

from bench.peers import common

QUEUE = "bench"


def noop() -> None:
    pass


def stamp(enqueued_at: float) -> None:
    common.stamp(enqueued_at)


def burst(mib: int, hold: float) -> None:
    common.burst(mib, hold)


TASKS = {"noop": noop, "stamp": stamp, "burst": burst}
_queues: list[Queue] = []
"""The driver's queue, made on first use."""


def _q() -> Queue:
    if not _queues:
        _queues.append(Queue(QUEUE, connection=Redis.from_url(common.url())))
    return _queues[0]


def setup() -> None:
    _q().connection.flushdb()  # the harness's own database number, never another


def enqueue(task: str, args: list[Any]) -> None:
    _q().enqueue(TASKS[task], *args)


def enqueue_bulk(task: str, argses: list[list[Any]]) -> None:
    queue = _q()
    queue.enqueue_many([Queue.prepare_data(TASKS[task], args=tuple(a)) for a in argses])


def remaining() -> int:
    queue = _q()
    return int(queue.count) + StartedJobRegistry(queue=queue).get_job_count(cleanup=False)


def worker_command(python: str) -> list[str]:
    rq = str(Path(python).parent / "rq")
    return [rq, "worker-pool", "-n", "2", "-u", common.url(), "--quiet", QUEUE]


def default_worker_command(python: str) -> list[str]:
    """`rq worker`: one worker, which forks a work horse for each job."""
    rq = str(Path(python).parent / "rq")
    return [rq, "worker", "-u", common.url(), "--quiet", QUEUE]


def close() -> None:
    while _queues:
        _queues.pop().connection.close()
