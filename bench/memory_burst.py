"""The heavy-job burst in a real 512 MiB container: cargohold against a naive worker.

Both run the same burst (jobs that each touch 300 MiB and hold it for half a second) beside
a 60 MiB process standing in for the web server, inside a cgroup v1 memory group created
for the run and removed afterwards:

- cargohold: `cargohold worker` with its defaults (memory admission, a cgroup per runner);
- naive: a process pool of 3 workers with no admission, the way a hand-written queue or a
  peer's default prefork worker runs them.

Needs root and a writable cgroup v1 memory hierarchy. Run from the repository root:

    .venv/bin/python bench/memory_burst.py [--jobs 20] [--mib 300]

Prints, and writes to bench/results/memory_burst.json: jobs completed, OOM kills counted by
the container, whether the web stand-in survived, the container's peak and the makespan.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.memory.container import MIB, Container, unavailable_reason  # noqa: E402
from tests.memory.harness import WEB_STAND_IN, Burst, makespan, succeeded  # noqa: E402

NAIVE_WORKER = """
import json, sys, time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

def job(mib):
    block = bytearray(mib * 1024 * 1024)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    time.sleep(0.5)
    return mib

jobs, mib = int(sys.argv[1]), int(sys.argv[2])
done = 0
start = time.monotonic()
with ProcessPoolExecutor(3) as pool:
    futures = [pool.submit(job, mib) for _ in range(jobs)]
    for future in as_completed(futures):
        try:
            future.result()
            done += 1
        except BrokenProcessPool:
            pass
print(json.dumps({"completed": done, "seconds": time.monotonic() - start}))
"""


def run_cargohold(jobs: int, mib: int, folder: Path) -> dict[str, object]:
    container = Container(512 * MIB)
    try:
        burst = Burst(container, folder, web_mib=60)
        web = container.processes[-1]
        burst.start_worker()
        records = burst.wait(burst.app.tasks["hog"].enqueue_many([(mib, 0.5)] * jobs), 600)
        return {
            "system": "cargohold",
            "completed": succeeded(records),
            "container_oom_kills": container.oom_kills,
            "web_survived": web.poll() is None,
            "container_peak_mib": round(container.peak / MIB),
            "makespan_s": round(makespan(records), 1),
        }
    finally:
        container.destroy()


def run_naive(jobs: int, mib: int) -> dict[str, object]:
    container = Container(512 * MIB)
    try:
        web = container.start([sys.executable, "-c", WEB_STAND_IN.format(mib=60)])
        time.sleep(0.5)
        worker = container.start(
            [sys.executable, "-c", NAIVE_WORKER, str(jobs), str(mib)], stdout=subprocess.PIPE
        )
        output, _ = worker.communicate(timeout=600)
        result = json.loads(output or b'{"completed": 0, "seconds": 0}')
        return {
            "system": "naive pool of 3",
            "completed": result["completed"],
            "container_oom_kills": container.oom_kills,
            "web_survived": web.poll() is None,
            "container_peak_mib": round(container.peak / MIB),
            "makespan_s": round(result["seconds"], 1),
        }
    finally:
        container.destroy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--mib", type=int, default=300)
    options = parser.parse_args()
    reason = unavailable_reason()
    if reason is not None:
        print(f"memory burst: cannot run here: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        rows = [
            run_cargohold(options.jobs, options.mib, Path(folder)),
            run_naive(options.jobs, options.mib),
        ]
    output = REPO / "bench" / "results" / "memory_burst.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(
        json.dumps({"jobs": options.jobs, "mib": options.mib, "runs": rows}, indent=2)
    )
    print(
        f"{options.jobs} jobs of {options.mib} MiB in a 512 MiB container "
        "beside a 60 MiB web stand-in:"
    )
    print("| system | completed | container OOM kills | web survived | peak MiB | makespan s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['system']} | {row['completed']}/{options.jobs} | "
            f"{row['container_oom_kills']} | {row['web_survived']} | "
            f"{row['container_peak_mib']} | {row['makespan_s']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
