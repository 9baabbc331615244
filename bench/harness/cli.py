"""`python bench/run.py`: measure cargohold and its peers, write the JSON, report and chart."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.harness import (
    burst,
    chart,
    machine,
    measure,
    peers_venv,
    report,
    services,
    source,
    systems,
)
from bench.harness.processes import REPO
from bench.peers import BY_ID, PEERS, Peer

SMOKE = {
    "jobs": 50,
    "repeat": 1,
    "enqueue_passes": 1,
    "latency_jobs": 10,
    "backlog": "100,1000",
    "sample": 50,
    "burst_jobs": 3,
    "burst_mib": 20,
}
FULL = {
    "jobs": 5000,
    "repeat": 3,
    "enqueue_passes": 5,
    "latency_jobs": 200,
    "backlog": "10000,1000000",
    "sample": 5000,
    "burst_jobs": 20,
    "burst_mib": 300,
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 1 repetition, no install")
    parser.add_argument("--repeat", type=int, help="repetitions of each measurement (full: 3)")
    parser.add_argument(
        "--enqueue-passes",
        type=int,
        metavar="N",
        help="passes of the single and bulk enqueue measurements over every system (full: 5)",
    )
    parser.add_argument("--jobs", type=int, help="jobs per enqueue and drain run (full: 5000)")
    parser.add_argument("--latency-jobs", type=int, help="jobs per latency run (full: 200)")
    parser.add_argument("--backlog", help="backlog sizes, comma-separated (full: 10000,1000000)")
    parser.add_argument(
        "--backlog-sample", type=int, help="jobs claimed per backlog run (full: 5000)"
    )
    parser.add_argument(
        "--prefill-budget",
        type=float,
        default=450.0,
        metavar="SECONDS",
        help="skip a backlog that would take longer than this to fill (default 450)",
    )
    parser.add_argument(
        "--burst-jobs",
        type=int,
        metavar="N",
        help="jobs in the memory burst (full: 20, smoke: 3; 0 leaves the burst out)",
    )
    parser.add_argument(
        "--burst-mib", type=int, metavar="MIB", help="memory each burst job uses (full: 300)"
    )
    parser.add_argument("--only", nargs="+", metavar="ID", choices=list(BY_ID), help="systems")
    parser.add_argument(
        "--cargohold-ref",
        metavar="REF",
        help="measure this git commit of cargohold instead of the installed working tree",
    )
    parser.add_argument("--no-install", action="store_true", help="never touch .peers-venv")
    parser.add_argument("--upgrade-peers", action="store_true", help="pip install -U the peers")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--report", type=Path, help="Markdown report (full: docs/benchmarks.md)")
    parser.add_argument("--chart", type=Path, help="SVG chart (full: docs/images/benchmarks.svg)")
    args = parser.parse_args(argv)
    defaults = SMOKE if args.smoke else FULL
    for name in ("repeat", "enqueue_passes", "jobs", "latency_jobs", "burst_jobs", "burst_mib"):
        if getattr(args, name) is None:
            setattr(args, name, defaults[name])
    args.backlog = args.backlog or defaults["backlog"]
    args.backlog_sample = args.backlog_sample or defaults["sample"]
    if args.report is None:
        args.report = args.results / "smoke.md" if args.smoke else REPO / "docs" / "benchmarks.md"
    if args.chart is None:
        args.chart = (
            args.results / "smoke.svg"
            if args.smoke
            else REPO / "docs" / "images" / "benchmarks.svg"
        )
    return args


def make_plan(args: argparse.Namespace) -> measure.Plan:
    return measure.Plan(
        jobs=args.jobs,
        repeat=args.repeat,
        enqueue_passes=args.enqueue_passes,
        latency_jobs=args.latency_jobs,
        latency_gap=(0.01, 0.03),
        warmup_jobs=2 if args.smoke else 5,
        backlogs=tuple(int(size) for size in args.backlog.split(",")),
        backlog_sample=args.backlog_sample,
        drain_timeout=30.0,
        backlog_timeout=15.0,
        startup_timeout=30.0,
        prefill_budget=args.prefill_budget,
        burst=measure.BurstPlan(args.burst_jobs, args.burst_mib) if args.burst_jobs else None,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, interrupt)  # clean up (processes, databases) as on Ctrl+C
    chosen = [peer for peer in PEERS if args.only is None or peer.id in args.only]
    with scratch_space(args) as (scratch, postgres):
        document: dict[str, Any] = {
            "command": "python bench/run.py "
            + " ".join(argv if argv is not None else sys.argv[1:]),
            "mode": "smoke" if args.smoke else "full",
            "started_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "machine": machine.describe(scratch, postgres.admin_url),
            "systems": {},
        }
        floor_samples = 10 if args.smoke else 100
        document["machine"]["floors_at_start"] = machine.floors(
            scratch, postgres.admin_url, floor_samples
        )
        context, under_test = systems_under_test(args, chosen, scratch, postgres)
        document["plan"] = {**asdict(context.plan), "latency_gap": list(context.plan.latency_gap)}
        for number in range(1, context.plan.repeat + 1):
            for system in under_test:
                _progress(f"round {number}/{context.plan.repeat}", system)
                system.run(systems.ROUND, f"round{number}")
        for number in range(1, context.plan.enqueue_passes + 1):
            # Every other pass goes the other way: a drift over the run favours no system.
            for system in under_test if number % 2 else reversed(under_test):
                _progress(f"enqueue pass {number}/{context.plan.enqueue_passes}", system)
                system.run(systems.ENQUEUE_PASS, f"enqueue{number}")
        for system in under_test:
            _progress("backlog", system)
            system.run((measure.backlog_scaling,), "backlog")
        document["memory_burst"] = memory_burst(context.plan, under_test)
        document["systems"] = {system.peer.id: system.entry() for system in under_test}
        document["machine"]["floors_at_end"] = machine.floors(
            scratch, postgres.admin_url, floor_samples
        )
    document["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    document["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    write_outputs(document, args)
    failed = [k for k, v in document["systems"].items() if v["status"] == "failed"]
    return 1 if failed else 0


@contextlib.contextmanager
def scratch_space(args: argparse.Namespace) -> Iterator[tuple[Path, services.Postgres]]:
    """A scratch folder under the results, and the scratch databases: both removed at the end,
    whatever happens."""
    scratch = (args.results / f"scratch-{os.getpid()}").resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    postgres = services.Postgres()
    try:
        yield scratch, postgres
    finally:
        postgres.drop_all()
        shutil.rmtree(scratch, ignore_errors=True)


def systems_under_test(
    args: argparse.Namespace, chosen: list[Peer], scratch: Path, postgres: services.Postgres
) -> tuple[systems.Context, list[systems.System]]:
    context = _context(args, chosen, scratch, postgres)
    under_test = [systems.System(peer, context) for peer in chosen]
    for system in under_test:
        if system.skipped is not None:
            print(f"bench: {system.peer.id}: skipped: {system.skipped}", flush=True)
    return context, under_test


def memory_burst(plan: measure.Plan, under_test: list[systems.System]) -> dict[str, Any]:
    """The memory burst, once for each system that runs it, then the naive reference: the
    run-level part of the results (each system's row is in its own raw figures)."""
    if plan.burst is None:
        return {"skipped": "left out by --burst-jobs 0"}
    reason = burst.unavailable()
    if reason is not None:
        print(f"bench: memory burst: skipped: {reason}", flush=True)
        return {"skipped": reason}
    for system in under_test:
        if system.peer.burst_workers is not None:
            _progress("memory burst", system)
            system.run((burst.memory_burst,), "burst")
    print(f"bench: memory burst: {burst.NAIVE}", flush=True)
    try:
        return {"skipped": None, "reference": burst.naive(plan.burst)}
    except Exception as error:
        print(f"bench: memory burst: {burst.NAIVE} failed: {error!r}", flush=True)
        return {"skipped": None, "reference": {"error": f"failed: {error!r}"}}


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _progress(what: str, system: systems.System) -> None:
    if system.skipped is None:
        print(f"bench: {what}: {system.peer.id}", flush=True)


def _context(
    args: argparse.Namespace, chosen: list[Peer], scratch: Path, postgres: services.Postgres
) -> systems.Context:
    cargohold_path, label = None, source.working_tree()
    if args.cargohold_ref:
        cargohold_path, label = source.export(args.cargohold_ref, scratch / "cargohold")
    return systems.Context(
        plan=make_plan(args),
        scratch=scratch,
        results=args.results,
        postgres=postgres,
        repo_python=sys.executable,
        peer_python=_peer_python(args, chosen),
        cargohold_path=cargohold_path,
        cargohold_label=label,
    )


def _peer_python(args: argparse.Namespace, chosen: list[Peer]) -> Path | None:
    if all(peer.in_repo_venv for peer in chosen):
        return None
    if args.smoke or args.no_install:
        return peers_venv.PYTHON if peers_venv.ready() else None
    return peers_venv.ensure(upgrade=args.upgrade_peers)


def write_outputs(document: dict[str, Any], args: argparse.Namespace) -> None:
    args.results.mkdir(parents=True, exist_ok=True)
    name = "smoke.json" if args.smoke else "latest.json"
    (args.results / name).write_text(json.dumps(document, indent=1) + "\n")
    args.chart.parent.mkdir(parents=True, exist_ok=True)
    args.chart.write_text(chart.render(document))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report.render(document, chart_path=_relative(args.chart, args.report)))
    print(f"bench: wrote {args.results / name}, {args.report}, {args.chart}", flush=True)


def _relative(target: Path, start: Path) -> str:
    return os.path.relpath(target.resolve(), start.resolve().parent)
