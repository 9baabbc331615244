"""Flow-control tests run on every store: `store_url` is a fresh SQLite file or a fresh
PostgreSQL database; `flow_workers` starts worker processes on it and stops each by PID."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import REPO, WorkerProcess

try:  # the PostgreSQL test databases, wherever this checkout keeps their fixtures
    from tests.postgres import (  # type: ignore[import-not-found, unused-ignore]
        postgres_databases,
        postgres_template,
        postgres_url,
    )
except ModuleNotFoundError:
    from tests.store.conftest import (  # type: ignore[assignment, unused-ignore]
        postgres_databases,
        postgres_template,
        postgres_url,
    )

__all__ = ["postgres_databases", "postgres_template", "postgres_url"]

FLOW_APP = "tests.apps.flow_app:app"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


class FlowWorkers:
    """Worker processes of the flow app on one store and ledger."""

    def __init__(self, tmp_path: Path, store_url: str) -> None:
        self.tmp_path = tmp_path
        self.store_url = store_url
        self.ledger_path = tmp_path / "ledger.db"
        self.started: list[WorkerProcess] = []
        self.env = {
            **os.environ,
            "CARGOHOLD_STORE": store_url,
            "CARGOHOLD_TEST_LEDGER": str(self.ledger_path),
            "PYTHONPATH": str(REPO),
        }

    def start(self, *args: str, env: dict[str, str] | None = None) -> WorkerProcess:
        log = self.tmp_path / f"worker-{len(self.started)}.log"
        worker = WorkerProcess(FLOW_APP, {**self.env, **(env or {})}, log, *args)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()

    def logs(self) -> str:
        return "\n".join(w.log.read_text(errors="replace") for w in self.started if w.log.exists())


@pytest.fixture
def flow_workers(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FlowWorkers]:
    monkeypatch.setenv("CARGOHOLD_TEST_LEDGER", str(tmp_path / "ledger.db"))
    pool = FlowWorkers(tmp_path, store_url)
    try:
        yield pool
    finally:
        pool.stop_all()
