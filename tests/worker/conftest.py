from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cargohold import App
from cargohold.worker.supervisor import Supervisor
from tests.apps.sample_app import build_app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    built = build_app(f"sqlite:///{tmp_path / 'worker.db'}")
    yield built
    built.close()


Drive = Callable[..., Supervisor]


@pytest.fixture
def drive(app: App) -> Iterator[Drive]:
    """Run an in-process worker until `until()` holds (or fail after `timeout` seconds)."""
    started: list[Supervisor] = []

    def run(until: Callable[[], bool], timeout: float = 30.0, **settings: object) -> Supervisor:
        settings.setdefault("concurrency", 2)
        settings.setdefault("poll_interval", 0.05)
        supervisor = app.worker(**settings)
        started.append(supervisor)
        supervisor.start()
        deadline = time.monotonic() + timeout
        while not until():
            assert time.monotonic() < deadline, f"condition not reached within {timeout}s"
            supervisor.step(max_wait=0.05)
        return supervisor

    yield run
    for supervisor in started:
        supervisor.shutdown()
