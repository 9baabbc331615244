"""Procrastinate: one asyncio worker process, `procrastinate worker --concurrency 8`
(LISTEN/NOTIFY on, jobs kept on success: its defaults)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from procrastinate import App, PsycopgConnector

from bench.peers import common, postgres

app = App(connector=PsycopgConnector(conninfo=common.url()))


@app.task(name="noop")
async def noop() -> None:
    pass


@app.task(name="stamp")
async def stamp(enqueued_at: float) -> None:
    common.stamp(enqueued_at)


TASKS = {"noop": noop, "stamp": stamp}
_unfinished = postgres.Counter(
    "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
)
_opened: list[App] = []


def setup() -> None:
    close()
    postgres.reset_schema(common.url())
    _opened.append(app.open())
    app.schema_manager.apply_schema()


def enqueue(task: str, args: list[Any]) -> None:
    TASKS[task].defer(**_kwargs(task, args))


def enqueue_bulk(task: str, argses: list[list[Any]]) -> None:
    TASKS[task].batch_defer(*(_kwargs(task, args) for args in argses))


def _kwargs(task: str, args: list[Any]) -> dict[str, Any]:
    return {"enqueued_at": args[0]} if task == "stamp" else {}


def remaining() -> int:
    return _unfinished(common.url())


def analyze() -> None:
    postgres.analyze(common.url())


def worker_command(python: str) -> list[str]:
    procrastinate = str(Path(python).parent / "procrastinate")
    return [procrastinate, "--app", f"{__name__}.app", "worker", "--concurrency", "8"]


def close() -> None:
    _unfinished.close()
    while _opened:
        _opened.pop().close()
