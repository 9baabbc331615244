"""Acceptance: a rate limit shared by processes on every store.

Given a rate of 50 per second, when 8 processes ask for grants as fast as they are refused
for 10 seconds, then at most 50 grants fall in any one-second window (every window that
starts at a grant is checked, with the grant times the store gave), and close to 500 are
granted in all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import REPO

PROCESSES = 8
LIMIT = 50
SECONDS = 10.0


def most_in_a_window(times: list[float], window: float) -> int:
    """The most grants in any closed window [t, t + window] (one starting at each grant)."""
    times = sorted(times)
    most, end = 0, 0
    for start, at in enumerate(times):
        while end < len(times) and times[end] <= at + window:
            end += 1
        most = max(most, end - start)
    return most


def hammer(store_url: str, tmp_path: Path, processes: int, seconds: float) -> list[float]:
    outputs = [tmp_path / f"grants-{n}.json" for n in range(processes)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.apps.rate_hammer",
                store_url,
                f"{LIMIT}/s",
                str(seconds),
                str(out),
            ],
            env=env,
            cwd=REPO,
        )
        for out in outputs
    ]
    try:
        for process in started:
            assert process.wait(seconds + 60) == 0
    finally:
        for process in started:
            if process.poll() is None:
                os.kill(process.pid, 9)
                process.wait()
    granted: list[float] = []
    for out in outputs:
        granted += json.loads(out.read_text())["granted"]
    return granted


def check(granted: list[float], seconds: float) -> None:
    span = max(granted) - min(granted)
    print(
        f"rate {LIMIT}/s: {len(granted)} granted over {span:.2f}s, most in one second: "
        f"{most_in_a_window(granted, 1.0)}"
    )
    assert most_in_a_window(granted, 1.0) <= LIMIT
    assert len(granted) >= 0.9 * LIMIT * seconds


def test_eight_processes_never_get_more_than_the_rate(store_url: str, tmp_path: Path) -> None:
    check(hammer(store_url, tmp_path, PROCESSES, SECONDS), SECONDS)


@pytest.mark.chaos
def test_eight_processes_for_a_minute(store_url: str, tmp_path: Path) -> None:
    check(hammer(store_url, tmp_path, PROCESSES, 60.0), 60.0)


def test_the_window_check_sees_a_burst() -> None:
    assert most_in_a_window([0.0, 0.5, 1.0, 1.01, 2.2], 1.0) == 3
    assert most_in_a_window([float(n) / 100 for n in range(51)], 1.0) == 51
