"""The memory burst's table in the report: every way a run can end reads as what happened."""

from __future__ import annotations

from typing import Any

from bench.harness import burst, report


def row(**fields: Any) -> dict[str, Any]:
    base = {
        "jobs": 20,
        "completed": 20,
        "ended": burst.ALL_DONE,
        "container_oom_kills": 0,
        "web_survived": True,
        "container_peak_mib": 389,
        "makespan_s": 17.0,
        "last_completion_s": 17.0,
        "stopped_s": 17.1,
        "queue_empty_s": 17.1,
        "worker_survived": True,
        "worker_exit_code": None,
        "worker_command": ["/venv/bin/python", "-m", "cargohold", "worker", "app:app"],
    }
    return {**base, **fields}


BURST = {"jobs": 20, "mib": 300, "hold": 0.5, "limit_mib": 512, "web_mib": 60, "timeout": 120}


def render(systems: dict[str, Any], burst_plan: Any, section: dict[str, Any]) -> str:
    """The report of a run that measured nothing but the burst."""
    plan = {"jobs": 1, "latency_jobs": 1, "backlogs": [1, 2], "backlog_sample": 1, "repeat": 1}
    machine = dict.fromkeys(
        ("cpus", "cpu_model", "memory_gib", "kernel", "os", "python", "postgresql", "redis"), "x"
    )
    document = {
        "command": "python bench/run.py",
        "mode": "full",
        "started_at": "today",
        "plan": {**plan, "burst": burst_plan},
        "machine": {**machine, "sqlite": "x", "scratch_filesystem": "x"},
        "memory_burst": section,
        "systems": systems,
    }
    return report.render(document, chart_path="chart.svg")


def entry(*rows: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "failed",  # measured entries need figures the report would render
        "reason": "x",
        "distribution": "x",
        "settings": "x",
        "burst_workers": "defaults",
        "raw": {"memory_burst": list(rows)} if rows else {},
    }


def test_each_ending_is_named_in_the_table() -> None:
    # Given one run of each kind, and a system whose burst failed
    lost = row(
        completed=7,
        ended=burst.LOST,
        container_oom_kills=13,
        container_peak_mib=512,
        makespan_s=None,
        last_completion_s=8.3,
        stopped_s=18.4,
        queue_empty_s=8.3,
    )
    exited = row(
        completed=0,
        ended=burst.WORKER_EXITED,
        container_oom_kills=2,
        makespan_s=None,
        last_completion_s=None,
        stopped_s=1.5,
        worker_survived=False,
        worker_exit_code=1,
    )
    timeout = row(completed=4, ended=burst.TIMEOUT, makespan_s=None, stopped_s=120.0)
    broken = {
        "jobs": 20,
        "completed": 0,
        "ended": burst.POOL_BROKEN,
        "container_oom_kills": 1,
        "web_survived": False,
        "container_peak_mib": 512,
        "makespan_s": None,
        "stopped_s": 0.3,
    }
    systems = {
        "cargohold-sqlite": entry(row()),
        "celery-redis": entry(lost),
        "dramatiq-redis": entry(exited),
        "rq": entry(timeout),
        "huey-redis": {"status": "skipped", "distribution": "x", "settings": "x"},  # no burst
        "procrastinate": entry(),  # a burst system whose burst failed
    }

    # When the report's section is rendered
    text = render(systems, BURST, {"skipped": None, "reference": broken})
    section = text.split("## Heavy jobs in a 512 MiB container")[1].split("## Systems")[0]
    lines = {line.split(" | ")[0].strip("| *"): line for line in section.splitlines()}

    # Then each run reads as what happened, with the makespan only where every job completed
    assert "| 20/20 | 0 | alive | 389 MiB | 17.0 s | all done |" in lines["cargohold-sqlite"]
    assert (
        "| 7/20 | 13 | alive | 512 MiB | not finished, stopped at 18.4 s |"
        in (lines["celery-redis"])
    )
    assert "13 lost: nothing queued from 8.3 s" in lines["celery-redis"]
    assert "last completion at 8.3 s" in lines["celery-redis"]
    assert "worker exited (code 1), 20 not done |" in lines["dramatiq-redis"]
    assert "16 not done at the timeout, worker running" in lines["rq"]
    assert "not finished, stopped at 120.0 s" in lines["rq"]
    assert "| **killed** |" in lines["naive pool of 3"]
    assert "gave up the 20 jobs left" in lines["naive pool of 3"]
    assert "not measured: see the notes under Systems" in lines["procrastinate"]
    assert "huey-redis" not in lines
    assert "- cargohold-sqlite: `python -m cargohold worker app:app`" in section


def test_a_burst_not_run_says_why() -> None:
    skipped = {"skipped": "memory tests need root to create cgroups"}
    text = render({}, BURST, skipped)
    assert "Not measured in this run: memory tests need root to create cgroups." in text
    text = render({}, None, {"skipped": "left out by --burst-jobs 0"})
    assert "Not measured in this run: left out by --burst-jobs 0." in text
