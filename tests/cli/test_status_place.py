"""`cargohold status` of a waiting job: its place in line, the ETA and why it waits, as the
web status gives them, on each store."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable

import pytest

from cargohold import App, Job
from cargohold.records import WorkerInfo
from tests.apps.sample_app import build_app
from tests.cli.test_cli import cargohold
from tests.processes import REPO


def finish(app: App, *jobs: Job[int]) -> None:
    """Run an in-process worker until `jobs` are finished (so their durations are known)."""
    supervisor = app.worker(concurrency=1, poll_interval=0.05)
    supervisor.start()
    try:
        deadline = time.monotonic() + 60
        while not all(job.refresh().state.is_terminal for job in jobs):
            assert time.monotonic() < deadline, "jobs not finished within 60s"
            supervisor.step(max_wait=0.05)
    finally:
        supervisor.shutdown()


def register_worker(app: App, concurrency: int) -> None:
    """A worker's row, as a worker process writes it when it starts (none runs here: the
    jobs stay in line)."""
    now, memory = app.store.now(), 512 * 1024 * 1024
    app.store.register_worker(
        WorkerInfo("host:1:aaaaaa", "host", 1, None, concurrency, now, now, memory, memory)
    )


def field(shown: str, name: str) -> str:
    """The value `cargohold status` prints beside `name`."""
    found = re.search(rf"^ *{name}  (.*)$", shown, re.MULTILINE)
    assert found is not None, shown
    return found.group(1)


def cli_env(store_url: str) -> dict[str, str]:
    env = {**os.environ, "CARGOHOLD_STORE": store_url, "PYTHONPATH": str(REPO)}
    env.pop("CARGOHOLD_APP", None)
    return env


def test_status_shows_position_eta_and_why_it_waits(new_store_url: Callable[[], str]) -> None:
    store_url = new_store_url()
    app = build_app(store_url)
    try:
        # Given: three runs of `add` are known, and one worker of two runners serves the queue.
        add = app.tasks["add"]
        finish(app, *[add.enqueue(n, n) for n in range(3)])
        register_worker(app, concurrency=2)
        jobs = [add.enqueue(n, 1) for n in range(5)]
        # When: `cargohold status` shows the fifth waiting job.
        shown = cargohold(cli_env(store_url), "status", jobs[4].id)
        as_json = cargohold(cli_env(store_url), "status", jobs[4].id, "--json")
    finally:
        app.close()
    # Then: it is fifth, should start within a few runs of `add`, and says why it waits.
    assert shown.returncode == 0, shown.stderr
    assert field(shown.stdout, "position") == "5 in queue default"
    starts = field(shown.stdout, "starts")
    assert starts.startswith(("in about ", "now (")), starts
    assert "(medium confidence: 4 job(s) ahead, about " in starts
    assert starts.endswith("on 2 runner(s), 0 of them busy)")
    assert field(shown.stdout, "waiting") == "waiting for a free runner"
    status = json.loads(as_json.stdout)
    assert (status["position"], status["eta_confidence"]) == (5, "medium")
    assert 0 <= status["eta"]["seconds"] < 5
    assert status["eta"]["at"] == pytest.approx(time.time() + status["eta"]["seconds"], abs=10)
    assert status["eta_basis"].startswith("4 job(s) ahead, about ")
    assert status["waiting"] == "waiting for a free runner"


def test_status_of_a_job_no_worker_serves_says_there_is_no_eta(
    new_store_url: Callable[[], str],
) -> None:
    store_url = new_store_url()
    app = build_app(store_url)
    try:
        job = app.tasks["add"].enqueue(1, 2)
        shown = cargohold(cli_env(store_url), "status", job.id)
        as_json = json.loads(cargohold(cli_env(store_url), "status", job.id, "--json").stdout)
        finish(app, job)
        done = json.loads(cargohold(cli_env(store_url), "status", job.id, "--json").stdout)
    finally:
        app.close()
    assert field(shown.stdout, "position") == "1 in queue default"
    assert field(shown.stdout, "starts") == "unknown: no worker serves its queue"
    assert field(shown.stdout, "waiting") == "no worker is taking jobs from queue 'default'"
    assert (as_json["position"], as_json["eta"], as_json["eta_confidence"]) == (1, None, "none")
    assert as_json["waiting"] == "no worker is taking jobs from queue 'default'"
    # A finished job has no place in line.
    assert (done["state"], done["position"], done["eta"], done["waiting"]) == (
        "succeeded",
        None,
        None,
        None,
    )
