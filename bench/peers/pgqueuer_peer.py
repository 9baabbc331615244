"""PgQueuer: one asyncio process running `pgqueuer.run(main)` with its defaults (batch size 10;
what `pgq run` does, without the CLI, whose --log-level breaks with the current typer), asyncpg
as its documentation recommends; producers use its synchronous psycopg driver, as a web app
would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pgqueuer
import psycopg
import uvloop
from pgqueuer import PgQueuer
from pgqueuer.db import AsyncpgDriver, SyncPsycopgDriver
from pgqueuer.models import Job
from pgqueuer.queries import Queries, SyncQueries

from bench.peers import common, postgres


@asynccontextmanager
async def main() -> AsyncIterator[PgQueuer]:
    """The factory `pgqueuer.run` calls (an async context manager, as pgqueuer 1.x requires)."""
    connection = await asyncpg.connect(common.url())
    pgq = PgQueuer(AsyncpgDriver(connection))

    @pgq.entrypoint("noop")
    async def noop(job: Job) -> None:
        pass

    @pgq.entrypoint("stamp")
    async def stamp(job: Job) -> None:
        assert job.payload is not None
        common.stamp(float(job.payload))

    try:
        yield pgq
    finally:
        await connection.close()


_producers: list[psycopg.Connection[Any]] = []
"""The driver's producer connection, opened on first use."""
_unfinished = postgres.Counter("SELECT count(*) FROM pgqueuer")


def _queries() -> SyncQueries:
    if not _producers:
        _producers.append(psycopg.connect(common.url(), autocommit=True))
    return SyncQueries(SyncPsycopgDriver(_producers[0]))


async def _install() -> None:
    connection = await asyncpg.connect(common.url())
    try:
        await Queries(AsyncpgDriver(connection)).install()
    finally:
        await connection.close()


def setup() -> None:
    close()
    postgres.reset_schema(common.url())
    asyncio.run(_install())


def _payload(task: str, args: list[Any]) -> bytes | None:
    return repr(args[0]).encode() if task == "stamp" else None


def enqueue(task: str, args: list[Any]) -> None:
    _queries().enqueue(task, _payload(task, args))


def enqueue_bulk(task: str, argses: list[list[Any]]) -> None:
    _queries().enqueue(
        [task] * len(argses), [_payload(task, args) for args in argses], [0] * len(argses)
    )


def remaining() -> int:
    # PgQueuer deletes a job's row when the job completes (and logs it elsewhere).
    return _unfinished(common.url())


def analyze() -> None:
    postgres.analyze(common.url())


def worker_command(python: str) -> list[str]:
    return [python, "-m", "bench.peers.pgqueuer_peer"]


def close() -> None:
    _unfinished.close()
    while _producers:
        _producers.pop().close()


if __name__ == "__main__":
    uvloop.run(pgqueuer.run(main))  # as `pgq run` does when uvloop is installed
