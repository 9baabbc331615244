from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the web tests need the [web] extra")

from starlette.testclient import TestClient

from cargohold import App, Job
from cargohold.web import CargoholdWeb, create_web_app
from tests.apps.web_app import build_app

READ_TOKEN = "read-token-0123456789abcdef"
ADMIN_TOKEN = "admin-token-0123456789abcdef"
SECRET = "signing-secret-0123456789abcdef"
READ = {"Authorization": f"Bearer {READ_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    built = build_app(f"sqlite:///{tmp_path / 'web.db'}")
    yield built
    built.close()


@pytest.fixture
def web(app: App) -> CargoholdWeb:
    return create_web_app(app, tokens=[READ_TOKEN], admin_tokens=[ADMIN_TOKEN], secret=SECRET)


@pytest.fixture
def client(web: CargoholdWeb) -> Iterator[TestClient]:
    with TestClient(web) as test_client:
        yield test_client


Finish = Callable[..., None]


@pytest.fixture
def finish(app: App) -> Iterator[Finish]:
    """Run an in-process worker until the given jobs are finished."""
    started = []

    def run(*jobs: Job[Any], timeout: float = 60.0) -> None:
        supervisor = app.worker(concurrency=1, poll_interval=0.05)
        started.append(supervisor)
        supervisor.start()
        deadline = time.monotonic() + timeout
        while not all(job.refresh().state.is_terminal for job in jobs):
            assert time.monotonic() < deadline, f"jobs not finished within {timeout}s"
            supervisor.step(max_wait=0.05)
        supervisor.shutdown()

    yield run
    for supervisor in started:
        supervisor.shutdown()
