"""The latency breakdown tool, so that it cannot rot: a few jobs on SQLite, every step of
the way given a figure."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench import latency_steps

REPO = Path(__file__).resolve().parents[2]
PATHS = {path: (*steps[1:], "in all") for path, steps in latency_steps.PATHS.items()}
HEADER = re.compile(r"sqlite, (.+): (\d+) jobs, milliseconds \(median, p90\)")


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
    sections: dict[str, tuple[int, dict[str, list[str]]]] = {}
    figures: dict[str, list[str]] = {}
    for line in completed.stdout.splitlines():
        header = HEADER.fullmatch(line)
        if header:
            figures = {}
            sections[header.group(1)] = (int(header.group(2)), figures)
        else:
            figures[line[:16].strip()] = line[16:].split()
    # An idle worker stands an offer: most jobs are handed over by the producer
    handed, _ = sections["handed over by the producer"]
    assert handed + sections.get("claimed by the worker", (0, {}))[0] >= 15  # 10 warm-up
    assert handed >= 10
    for path, (_, found) in sections.items():
        assert set(found) == set(PATHS[path]), path
        for median, p90 in found.values():
            assert float(median) <= float(p90)
        assert float(found["in all"][0]) > 0
