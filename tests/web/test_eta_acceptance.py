"""The acceptance test of issue 5, on each store: a real worker process (one runner) and a
real `cargohold serve`. With one job running and ten in line, the tenth reads position 10
over HTTP, and its ETA is within 30% of when it actually starts."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path

from cargohold import JobState
from tests.apps.eta_app import build_app
from tests.processes import Workers, wait_for
from tests.web.servers import WebServer, web_env

APP_REF = "tests.apps.eta_app:app"
NAP = 1.0
WARM_UP = 3
LINE = 10
TOLERANCE = 0.30


def test_the_tenth_in_line_reads_position_10_and_an_eta_within_30_percent(
    new_store_url: Callable[[], str], tmp_path: Path
) -> None:
    store_url = new_store_url()
    app = build_app(store_url)
    nap = app.tasks["nap"]
    workers = Workers(tmp_path, store_url)
    server = WebServer(web_env(store_url), tmp_path / "web.log", app_ref=APP_REF)
    try:
        workers.start(APP_REF, "--concurrency", "1", "--poll-interval", "0.1s")
        server.wait_ready()
        # Given: the task's duration is known from a few runs.
        warm = [nap.enqueue(NAP) for _ in range(WARM_UP)]
        wait_for(lambda: all(j.refresh().state == JobState.SUCCEEDED for j in warm), 60, "warm-up")
        # ...and the only runner is busy with one job while ten more wait behind it.
        jobs = app.enqueue_many([nap.call(NAP) for _ in range(LINE + 1)])
        wait_for(lambda: jobs[0].refresh().state == JobState.RUNNING, 10, "first job running")
        # When: the customer of the tenth waiting job reads its status over HTTP.
        tenth = jobs[LINE]
        with urllib.request.urlopen(f"{server.url}/jobs/{tenth.id}/status", timeout=10) as reply:
            status = json.load(reply)
        read_at = status["eta"]["at"] - status["eta"]["seconds"]
        # Then: it is tenth in line...
        assert status["position"] == LINE, (status, [j.refresh().state for j in jobs])
        assert status["eta_confidence"] == "medium"
        # ...and it starts within 30% of the time the ETA gave.
        wait_for(lambda: tenth.refresh().state == JobState.SUCCEEDED, 60, "the line to run")
        assert tenth.record.started_at is not None
        waited = tenth.record.started_at - read_at
        assert abs(status["eta"]["seconds"] - waited) <= TOLERANCE * waited, (status, waited)
        print(
            f"{store_url.split(':')[0]}: ETA {status['eta']['seconds']:.2f}s, started after "
            f"{waited:.2f}s ({(status['eta']['seconds'] - waited) / waited:+.1%})"
        )
    finally:
        server.stop()
        workers.stop_all()
        app.close()
