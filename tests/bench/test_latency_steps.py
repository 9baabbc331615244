"""The latency breakdown tool, so that it cannot rot: a few jobs on SQLite, every step of
the way given a figure."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench import latency_steps

REPO = Path(__file__).resolve().parents[2]
STEPS = (*latency_steps.STEPS[1:], "in all")


def test_each_step_from_enqueue_to_start_gets_a_figure() -> None:
    completed = subprocess.run(
        [sys.executable, "bench/latency_steps.py", "--store", "sqlite", "--jobs", "30"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    header, *lines = completed.stdout.splitlines()
    # (SQLite hands no job over: every job is claimed by the worker)
    pattern = r"sqlite, claimed by the worker: (\d+) jobs"
    jobs = int(re.match(pattern, header).group(1))  # type: ignore[union-attr]
    assert jobs >= 15  # 30 sent, the first 10 left out as warm-up
    figures = {line[:16].strip(): line[16:].split() for line in lines}
    assert set(figures) == set(STEPS)
    for median, p90 in figures.values():
        assert float(median) <= float(p90)
    assert float(figures["in all"][0]) > 0
