"""Runs a worker and a stand-in web server inside a container, and a burst of jobs."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from cargohold import App, JobState
from cargohold.job import Job
from cargohold.records import JobFilter, JobRecord
from tests.apps.memory_app import build_app
from tests.memory.container import MIB, Container
from tests.processes import REPO

WEB_STAND_IN = (
    "import time\n"
    "block = bytearray({mib} * 1024 * 1024)\n"
    "for offset in range(0, len(block), 4096): block[offset] = 1\n"
    "time.sleep(3600)\n"
)


class Burst:
    def __init__(self, container: Container, tmp_path: Path, web_mib: int = 60) -> None:
        self.container = container
        self.store_url = f"sqlite:///{tmp_path / 'memory.db'}"
        self.app: App = build_app(self.store_url)
        self.log = tmp_path / "worker.log"
        self.env = {**os.environ, "CARGOHOLD_STORE": self.store_url, "PYTHONPATH": str(REPO)}
        if web_mib:
            container.start([sys.executable, "-c", WEB_STAND_IN.format(mib=web_mib)])
            time.sleep(0.5)  # let it take its memory before the worker measures its budget

    def start_worker(self, *args: str) -> None:
        with self.log.open("ab") as output:
            self.container.start(
                [
                    sys.executable,
                    "-m",
                    "cargohold",
                    "worker",
                    "tests.apps.memory_app:app",
                    "--poll-interval",
                    "0.1s",
                    *args,
                ],
                env=self.env,
                cwd=REPO,
                stdout=output,
                stderr=output,
            )

    def wait(self, jobs: Sequence[Job[object]], timeout: float) -> list[JobRecord]:
        ids = tuple(job.id for job in jobs)
        deadline = time.monotonic() + timeout
        while True:
            records = self.app.store.find_jobs(JobFilter(ids=ids, limit=len(ids)))
            if all(job.state.is_terminal for job in records):
                return records
            if time.monotonic() > deadline:
                states = [str(job.state) for job in records]
                raise AssertionError(
                    f"jobs not finished within {timeout}s: {states}\n"
                    + self.log.read_text(errors="replace")[-3000:]
                )
            time.sleep(0.1)

    def kinds(self, job_id: str) -> list[str]:
        return [event.kind for event in self.app.store.job_events(job_id)]


def makespan(records: Sequence[JobRecord]) -> float:
    starts = [r.started_at for r in records if r.started_at is not None]
    ends = [r.finished_at for r in records if r.finished_at is not None]
    return max(ends) - min(starts)


def most_at_once(records: Sequence[JobRecord]) -> int:
    """The most jobs that ran at the same moment (each record's last attempt)."""
    edges = sorted(
        edge
        for r in records
        if r.started_at is not None and r.finished_at is not None
        for edge in ((r.started_at, 1), (r.finished_at, -1))
    )
    running = most = 0
    for _, change in edges:  # at equal times an end (-1) sorts before a start
        running += change
        most = max(most, running)
    return most


def succeeded(records: Sequence[JobRecord]) -> int:
    return sum(1 for record in records if record.state == JobState.SUCCEEDED)


def mib(size: float) -> str:
    return f"{size / MIB:.0f} MiB"
