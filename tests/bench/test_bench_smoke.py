"""The benchmark harness in smoke mode, so that it cannot rot: tiny sizes, cargohold on
SQLite only, nothing installed, nothing fetched; the memory burst with 3 jobs of 20 MiB where
a cgroup v1 container can be made (root), else its reason for skipping."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.memory.container import unavailable_reason

REPO = Path(__file__).resolve().parents[2]


def test_smoke_run_measures_cargohold_on_sqlite_and_writes_its_report(tmp_path: Path) -> None:
    # Given a results folder of our own
    results = tmp_path / "results"

    # When the harness runs in smoke mode on cargohold-sqlite alone
    completed = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--smoke",
            "--only",
            "cargohold-sqlite",
            "--results",
            str(results),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Then it succeeds and every measurement has a figure
    assert completed.returncode == 0, completed.stdout + completed.stderr
    document = json.loads((results / "smoke.json").read_text())
    entry = document["systems"]["cargohold-sqlite"]
    assert entry["status"] == "measured", entry
    assert entry["notes"] == []
    runs = entry["runs"]
    for name in ("enqueue", "bulk_enqueue", "drain", "backlog_100", "backlog_1000"):
        assert len(runs[name]) == 1 and runs[name][0] > 0, name
    assert 0 < runs["latency_p50"][0] <= runs["latency_p99"][0]
    assert 5 < runs["memory_pss"][0] < runs["memory_rss"][0]
    assert entry["raw"]["memory_processes"] == [3]  # measured with both runners started
    assert len(entry["raw"]["latency_ms"][0]) == 10
    # (with the machine's floors for the idle path, at the start and at the end)
    for moment in ("floors_at_start", "floors_at_end"):
        floors = document["machine"][moment]
        assert floors["disk_flush_ms"] > 0 and floors["process_wake_up_ms"] > 0, floors
        if floors["postgres_idle_round_trip_ms"] is not None:  # the server was reachable
            assert floors["postgres_hand_off_ms"] > 0, floors

    # And the tiny memory burst ran in its container, or says why it could not
    burst = document["memory_burst"]
    if burst["skipped"] is None:
        [row] = entry["raw"]["memory_burst"]
        assert (row["completed"], row["jobs"], row["ended"]) == (3, 3, "all done")
        assert row["container_oom_kills"] == 0 and row["web_survived"]
        assert 0 < row["makespan_s"] < 60
        assert burst["reference"]["completed"] == 3
    else:
        assert burst["skipped"] == unavailable_reason()

    # And the report and chart are written, and nothing is left behind
    report = (results / "smoke.md").read_text()
    assert "| **cargohold-sqlite** |" in report
    assert "## Heavy jobs in a 512 MiB container" in report
    assert "| disk flush (fdatasync of 4 KiB) |" in report
    assert (results / "smoke.svg").read_text().startswith("<svg")
    assert not list(results.glob("scratch-*"))
