"""An app whose task writes every run to the ledger named by CARGOHOLD_TEST_LEDGER."""

from __future__ import annotations

import os
import time

from cargohold import App, current_job
from cargohold.task import Task
from tests.ledger import Ledger

_ledgers: dict[str, Ledger] = {}


def _ledger() -> Ledger:
    path = os.environ.get("CARGOHOLD_TEST_LEDGER", "ledger.db")
    if path not in _ledgers:
        _ledgers[path] = Ledger(path)
    return _ledgers[path]


def build_app(store: str | None = None) -> App:
    app = App(store)

    @app.task(retries=20, backoff="0.05s")
    def work(milliseconds: int) -> int:
        job = current_job()
        run = _ledger().start(job.id, job.attempt, job.lease_token)
        time.sleep(milliseconds / 1000)
        _ledger().end(run)
        return milliseconds

    return app


def work_task(app: App) -> Task[[int], int]:
    return app.tasks["work"]


app = build_app()
