"""The heavy-job burst in a real 512 MiB container, alone: cargohold, Celery, RQ and Dramatiq,
each with its own default worker settings, and a naive pool of 3 processes.

Every system runs the same burst (jobs that each touch 300 MiB and hold it for half a second)
beside a 60 MiB process standing in for the web server, inside a cgroup v1 memory group
created for the run and removed afterwards. The same measurement is part of `bench/run.py`
(bench/harness/burst.py describes it); this runs it without the rest.

Needs root and a writable cgroup v1 memory hierarchy, Redis on 127.0.0.1:6379 for the peers
(database 13, flushed before and after), and bench/.peers-venv (installed on first use, as
`bench/run.py` does). Run from the repository root:

    .venv/bin/python bench/memory_burst.py [--jobs 20] [--mib 300] [--only ID ...]

Prints, and writes to bench/results/memory_burst.json: for each system, jobs completed, OOM
kills counted by the container, whether the web stand-in survived, the container's peak and
the makespan (or when and why the run was stopped). Logs: bench/results/memory_burst/logs/.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import burst, cli  # noqa: E402
from bench.peers import PEERS  # noqa: E402

BURST_PEERS = [peer.id for peer in PEERS if peer.burst_workers is not None]
RESULTS = REPO / "bench" / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--mib", type=int, default=300)
    parser.add_argument("--only", nargs="+", metavar="ID", choices=BURST_PEERS, help="systems")
    parser.add_argument("--no-install", action="store_true", help="never touch .peers-venv")
    options = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, cli.interrupt)  # clean up (processes, cgroups) as on Ctrl+C
    reason = burst.unavailable()
    if reason is not None:
        print(f"memory burst: cannot run here: {reason}", file=sys.stderr)
        return 2
    args = cli.parse(
        [
            "--only",
            *(options.only or BURST_PEERS),
            "--burst-jobs",
            str(options.jobs),
            "--burst-mib",
            str(options.mib),
            "--results",
            str(RESULTS / "memory_burst"),
            *(["--no-install"] if options.no_install else []),
        ]
    )
    chosen = [peer for peer in PEERS if peer.id in args.only]
    with cli.scratch_space(args) as (scratch, postgres):
        context, under_test = cli.systems_under_test(args, chosen, scratch, postgres)
        section = cli.memory_burst(context.plan, under_test)
    plan = context.plan.burst
    assert plan is not None
    entries = {system.peer.id: system.entry() for system in under_test}
    rows = burst.rows_of({"systems": entries, "memory_burst": section})
    notes = {
        system.peer.id: [*([system.skipped] if system.skipped else []), *system.failures]
        for system in under_test
        if system.skipped or system.failures
    }
    output = {
        "burst": asdict(plan),
        "runs": [{"system": system, "workers": workers, **row} for system, workers, row in rows],
        "versions": {system.peer.id: system.version for system in under_test},
        "notes": notes,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "memory_burst.json").write_text(json.dumps(output, indent=2) + "\n")
    print(
        f"{plan.jobs} jobs of {plan.mib} MiB in a {plan.limit_mib} MiB container "
        f"beside a {plan.web_mib} MiB web stand-in:"
    )
    print("\n".join(burst.table(rows)))
    for system_id, lines in notes.items():
        for line in lines:
            print(f"note: {system_id}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
