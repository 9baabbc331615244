"""The `cargohold` command, run as a user runs it: a real process on a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import REPO


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CARGOHOLD_STORE": f"sqlite:///{tmp_path / 'cli.db'}",
        "PYTHONPATH": str(REPO),
        "CARGOHOLD_APP": "tests.apps.sample_app:app",
    }


def cargohold(
    env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cargohold", *args],
        env=env,
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_enqueue_status_jobs_cancel_retry(env: dict[str, str]) -> None:
    done = cargohold(env, "enqueue", "add", "--args", "[2, 3]", "--key", "k1", "--json")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["state"] == "queued" and job["args"] == {"args": [2, 3], "kwargs": {}}

    again = cargohold(env, "enqueue", "add", "--args", "[2, 3]", "--key", "k1")
    assert again.returncode == 0 and "already enqueued (same key)" in again.stdout
    assert job["id"] in again.stdout

    listed = cargohold(env, "jobs", "--state", "queued", "--json")
    assert [j["id"] for j in json.loads(listed.stdout)] == [job["id"]]

    cancelled = cargohold(env, "cancel", job["id"])
    assert cancelled.returncode == 0 and "cancelled" in cancelled.stdout
    retried = cargohold(env, "retry", job["id"])
    assert retried.returncode == 0 and "queued again" in retried.stdout

    status = cargohold(env, "status", job["id"])
    assert status.returncode == 0
    for expected in ("state  queued", "enqueued", "cancelled", "retried"):
        assert expected in status.stdout

    stats = cargohold(env, "stats", "--json")
    assert json.loads(stats.stdout)["queues"]["default"]["queued"] == 1


def test_a_cancel_reason_that_is_not_utf8_is_kept_escaped(env: dict[str, str]) -> None:
    job = json.loads(cargohold(env, "enqueue", "add", "--args", "[1, 2]", "--json").stdout)
    # An argument's bytes that are not UTF-8 reach Python as lone surrogates.
    cancelled = cargohold(env, "cancel", job["id"], "--reason", "caf\udce9")
    assert cancelled.returncode == 0, cancelled.stderr
    status = cargohold(env, "status", job["id"])
    assert "caf\\udce9" in status.stdout


def test_worker_runs_jobs_enqueued_from_the_cli(env: dict[str, str], tmp_path: Path) -> None:
    job = json.loads(cargohold(env, "enqueue", "add", "--args", "[20, 22]", "--json").stdout)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cargohold",
            "worker",
            "--concurrency",
            "1",
            "tests.apps.sample_app:app",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            status = json.loads(cargohold(env, "status", job["id"], "--json").stdout)
            if status["state"] == "succeeded":
                break
            __import__("time").sleep(0.1)
        assert status["result"] == 42
    finally:
        worker.terminate()
        worker.wait(30)
    assert worker.returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["enqueue", "nope"], "no task is registered under the name 'nope'"),
        (["enqueue", "add", "--args", "{x"], "--args is not JSON"),
        (["enqueue", "add", "--args", '{"a": 1}'], "--args must be a JSON list"),
        (["enqueue", "add", "--delay", "soonish"], "not a duration"),
        (["status", "01NOTAJOB"], "no job has id '01NOTAJOB'"),
        (["worker", "--lease", "forever"], "--lease: 'forever' is not a duration"),
        (["worker", "--lease", "5s", "--heartbeat", "5s"], "at least 3 x heartbeat"),
        (
            ["--app", "no_such_module:app", "enqueue", "add"],
            "cannot import module 'no_such_module'",
        ),
        (["--app", "tests.apps.sample_app:nope", "enqueue", "add"], "has no attribute 'nope'"),
        (["--app", "tests.apps.sample_app", "enqueue", "add"], "MODULE:ATTRIBUTE"),
        (["--store", "redis://x", "jobs"], "not supported"),
    ],
)
def test_bad_input_gets_a_clear_error(env: dict[str, str], args: list[str], message: str) -> None:
    done = cargohold(env, *args)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_help_shows_environment_variables(env: dict[str, str]) -> None:
    done = cargohold(env, "worker", "--help")
    assert "CARGOHOLD_CONCURRENCY" in done.stdout and "CARGOHOLD_LEASE" in done.stdout


def test_migrate(env: dict[str, str]) -> None:
    done = cargohold(env, "migrate")
    assert done.returncode == 0 and "schema up to date" in done.stdout


def test_demo_ends_by_itself_and_its_summary_matches_the_store(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CARGOHOLD_STORE", None)
    done = cargohold(env, "demo", cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cargohold.db").exists()  # the embedded default
    env["CARGOHOLD_STORE"] = f"sqlite:///{tmp_path / 'cargohold.db'}"
    jobs = json.loads(cargohold(env, "jobs", "--queue", "cargohold-demo", "--json").stdout)
    states: dict[str, int] = {}
    for job in jobs:
        states[job["state"]] = states.get(job["state"], 0) + 1
    expected = ", ".join(f"{state} {count}" for state, count in sorted(states.items()))
    assert f"jobs by state: {expected}" in done.stdout
    assert states == {"succeeded": 10, "failed": 2}
    retries = sum(1 for job in jobs for _ in range(job["attempt"] - 1))
    assert f"retries: {retries}" in done.stdout
