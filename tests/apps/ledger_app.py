"""An app whose tasks write every run to the ledger named by CARGOHOLD_TEST_LEDGER."""

from __future__ import annotations

import os
import time

from cargohold import App, current_job
from tests.ledger import Ledger

app = App()
ledger = Ledger(os.environ.get("CARGOHOLD_TEST_LEDGER", "ledger.db"))


@app.task(retries=20, backoff="0.05s")
def work(milliseconds: int) -> int:
    job = current_job()
    run = ledger.start(job.id, job.attempt, job.lease_token)
    time.sleep(milliseconds / 1000)
    ledger.end(run)
    return milliseconds
