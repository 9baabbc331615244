"""An app for the flow-control tests: a limited task and a rate-limited one that write every
run to the ledger named by CARGOHOLD_TEST_LEDGER, a queue with a maximum depth, and (when
CARGOHOLD_TEST_PERIODIC is set) a task that fires every second."""

from __future__ import annotations

import os
import time

from cargohold import App, current_job
from tests.ledger import Ledger

_ledgers: dict[str, Ledger] = {}


def _ledger() -> Ledger:
    path = os.environ.get("CARGOHOLD_TEST_LEDGER", "ledger.db")
    if path not in _ledgers:
        _ledgers[path] = Ledger(path)
    return _ledgers[path]


def _run(milliseconds: int) -> int:
    job = current_job()
    run = _ledger().start(job.id, job.attempt, job.lease_token)
    time.sleep(milliseconds / 1000)
    _ledger().end(run)
    return milliseconds


def build_app(store: str | None = None) -> App:
    app = App(store)
    app.limit("api", concurrency=3)
    app.limit("solo", concurrency=1)
    app.rate("burst", "5/2s")
    app.queue("photos", max_depth=20, retry_after="7s")

    @app.task(limits=["api"], memory="10MB", retries=5, backoff="0.05s")
    def limited(milliseconds: int) -> int:
        return _run(milliseconds)

    @app.task(limits=["solo"], memory="10MB")
    def hold_solo(milliseconds: int) -> int:
        return _run(milliseconds)

    @app.task(rates=["burst"], memory="10MB", retries=0)
    def metered(milliseconds: int) -> int:
        return _run(milliseconds)

    @app.task(queue="photos", memory="10MB")
    def photo(milliseconds: int) -> int:
        return _run(milliseconds)

    if os.environ.get("CARGOHOLD_TEST_PERIODIC"):

        @app.periodic(every="1s", memory="10MB")
        def tick() -> int:
            return _run(1)

    return app


app = build_app()
