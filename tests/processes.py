"""Worker processes for tests: started as a user would, stopped by PID whatever happens."""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

FAST_LEASES = [
    "--lease",
    "1.5s",
    "--heartbeat",
    "0.5s",
    "--rescue-interval",
    "0.5s",
    "--poll-interval",
    "0.2s",
]


class WorkerProcess:
    def __init__(
        self, app_ref: str, env: dict[str, str], log: Path, *args: str, host: str | None = None
    ) -> None:
        """`host`: run the worker as if on another machine: in a process tree (session) of
        its own and, where this user may (root), under that hostname in a UTS namespace."""
        self.log = log
        command = [sys.executable, "-m", "cargohold", "worker", app_ref, *args]
        if host is not None and can_rename_host():
            # unshare and sh both exec: the process started is the worker itself.
            command = ["unshare", "--uts", "sh", "-c", f'hostname {host} && exec "$@"', "-"]
            command += [sys.executable, "-m", "cargohold", "worker", app_ref, *args]
        with log.open("ab") as output:
            self.popen = subprocess.Popen(
                command,
                env=env,
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=host is not None,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def send(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen.poll() is None:
            self.send(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.send(signal.SIGKILL)
                self.popen.wait()


class Workers:
    """Starts workers on one store and ledger, and stops every one of them at teardown.
    The store is a SQLite file in `tmp_path` unless `store_url` names another."""

    def __init__(self, tmp_path: Path, store_url: str | None = None) -> None:
        self.tmp_path = tmp_path
        self.store_url = store_url or f"sqlite:///{tmp_path / 'jobs.db'}"
        self.ledger_path = tmp_path / "ledger.db"
        self.started: list[WorkerProcess] = []
        self.env = {
            **os.environ,
            "CARGOHOLD_STORE": self.store_url,
            "CARGOHOLD_TEST_LEDGER": str(self.ledger_path),
            "PYTHONPATH": str(REPO),
        }

    def start(self, app_ref: str, *args: str, host: str | None = None) -> WorkerProcess:
        log = self.tmp_path / f"worker-{len(self.started)}.log"
        worker = WorkerProcess(app_ref, self.env, log, *args, host=host)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()

    def logs(self) -> str:
        return "\n".join(w.log.read_text(errors="replace") for w in self.started if w.log.exists())


STORE_KINDS = ["sqlite", "postgresql"]


@pytest.fixture(params=STORE_KINDS)
def new_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes the URL of a fresh, empty store of each kind in turn: a SQLite file in the
    test's folder, or a scratch PostgreSQL database (dropped after the test)."""
    created: list[str] = []
    count = itertools.count()

    def new_url() -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / f'store-{next(count)}.db'}"
        databases = request.getfixturevalue("postgres_databases")
        name = databases.create("w", template=request.getfixturevalue("postgres_template"))
        created.append(name)
        return str(databases.url(name))

    yield new_url
    if created:
        databases = request.getfixturevalue("postgres_databases")
        for name in created:
            databases.drop(name)


@functools.cache
def can_rename_host() -> bool:
    return (
        os.geteuid() == 0
        and shutil.which("unshare") is not None
        and (
            subprocess.run(
                ["unshare", "--uts", "true"], capture_output=True, check=False
            ).returncode
            == 0
        )
    )


@pytest.fixture
def workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workers]:
    pool = Workers(tmp_path)
    monkeypatch.setenv("CARGOHOLD_STORE", pool.store_url)
    monkeypatch.setenv("CARGOHOLD_TEST_LEDGER", str(pool.ledger_path))
    try:
        yield pool
    finally:
        pool.stop_all()


def wait_for(condition: object, timeout: float, message: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (not within {timeout}s)")
        time.sleep(interval)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); look at its state.
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
        return state not in ("Z", "X")
    return False
