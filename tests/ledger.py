"""The test oracle: a ledger of every run, kept outside the system under test.

A separate SQLite file with synchronous=FULL: a run's start is written before the work and
its end after, so a SIGKILL leaves an open interval that the checks can see.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    lease_token TEXT NOT NULL,
    pid INTEGER NOT NULL,
    parent_pid INTEGER NOT NULL,
    started REAL NOT NULL,
    ended REAL
)
"""


class Ledger:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    def _db(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            self._connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=FULL")
            self._connection.execute(_SCHEMA)
            self._pid = os.getpid()
        return self._connection

    def start(self, job_id: str, attempt: int, lease_token: str) -> int:
        cursor = self._db().execute(
            "INSERT INTO runs (job_id, attempt, lease_token, pid, parent_pid, started) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (job_id, attempt, lease_token, os.getpid(), os.getppid(), time.time()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def end(self, run_id: int) -> None:
        self._db().execute("UPDATE runs SET ended = ? WHERE id = ?", (time.time(), run_id))

    def runs(self) -> list[Run]:
        rows = (
            self._db()
            .execute(
                "SELECT job_id, attempt, lease_token, pid, parent_pid, started, ended FROM runs"
            )
            .fetchall()
        )
        return [Run(*row) for row in rows]


@dataclass(frozen=True)
class Run:
    job_id: str
    attempt: int
    lease_token: str
    pid: int
    parent_pid: int
    started: float
    ended: float | None


def concurrent_duplicates(runs: list[Run], killed_at: dict[int, float]) -> list[tuple[Run, Run]]:
    """Pairs of runs of one job whose intervals overlap. A run that never ended closes when
    its supervisor (`parent_pid`) was killed; one with no recorded kill stays open forever."""
    by_job: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_job[run.job_id].append(run)
    overlaps = []
    for job_runs in by_job.values():
        job_runs.sort(key=lambda r: r.started)
        for earlier, later in itertools.pairwise(job_runs):
            end = earlier.ended
            if end is None:
                end = killed_at.get(earlier.parent_pid, float("inf"))
            if later.started < end:
                overlaps.append((earlier, later))
    return overlaps
