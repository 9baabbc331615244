"""Where an idle worker's latency goes: the median time of each step from `enqueue()` to
the start of the job, for one real worker (`--concurrency 2`) woken by jobs sent one at a
time, a random 10-30 ms apart (the benchmark's idle-latency method).

Every process on the way notes (wall-clock time, step) as it passes a step: the producer
around `enqueue()`; the supervisor when its wait ends, as its tick starts, around its claim's
store transaction, as it dispatches the job and as it sends it to a runner; the runner when
it receives the job and when the task's body starts. Each step's figure is the median over
the jobs of the time from the step before it. Jobs claimed by the worker and jobs handed to
its standing offer by the producer are shown apart: the second kind has no claim step.

    .venv/bin/python bench/latency_steps.py [--store postgres|sqlite] [--jobs 300]

A note is kept in memory (a fraction of a microsecond) and written to the marks file while
its process has nothing else to do: the supervisor just before it waits, the runner once the
task's body has started, the producer at the end."""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ADMIN_URL = os.environ.get("CARGOHOLD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
DATABASE = "bench_latency_steps"
ROOT = Path(__file__).resolve().parent.parent
URL_ENV = "CARGOHOLD_BENCH_STEPS_URL"
MARKS_ENV = "CARGOHOLD_BENCH_STEPS_MARKS"
SKIPPED = 10
"""Jobs left out of the figures at the start (the worker and its connections warm up)."""
STEPS = [
    "enqueue",
    "enqueued",
    "woken",
    "tick",
    "claim sent",
    "claim back",
    "dispatch",
    "job sent",
    "job received",
    "task started",
]
"""The steps, in the order a job claimed by the worker passes them."""
HANDED_STEPS = [step for step in STEPS if not step.startswith("claim")]
"""The steps of a job handed to the worker's standing offer by the producer's transaction:
it comes with the wake-up, and no claim of the worker's is on its way."""


NOTED: list[tuple[float, str]] = []
"""This process's notes not written yet."""


def note(step: str) -> None:
    NOTED.append((time.time(), step))


def write_notes() -> None:
    if not NOTED:
        return
    lines = "".join(f"{at!r} {step}\n" for at, step in NOTED)
    NOTED.clear()
    descriptor = os.open(os.environ[MARKS_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(descriptor, lines.encode())
    finally:
        os.close(descriptor)


def noted_after(function: Callable[..., Any], step: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        note(step)
        return result

    return wrapper


def noted_before(function: Callable[..., Any], step: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        note(step)
        return function(*args, **kwargs)

    return wrapper


def install_marks() -> None:
    """Wrap the worker's functions at each step (runners are forked: they inherit these)."""
    from cargohold.worker import runner, runners, supervisor, waiting

    wait = waiting.Waiter.wait

    def noted_wait(*args: Any, **kwargs: Any) -> Any:
        write_notes()  # about to sleep: nothing is waiting on this process
        result = wait(*args, **kwargs)
        note("woken")
        return result

    start_runner = runners.runner_main

    def runner_main(*args: Any, **kwargs: Any) -> Any:
        NOTED.clear()  # the supervisor's, copied by the fork: it writes them itself
        return start_runner(*args, **kwargs)

    waiting.Waiter.wait = noted_wait  # type: ignore[method-assign]
    supervisor.Supervisor.tick = noted_before(supervisor.Supervisor.tick, "tick")  # type: ignore[method-assign]
    claim = supervisor.Supervisor._persist_and_claim
    claim = noted_after(noted_before(claim, "claim sent"), "claim back")
    supervisor.Supervisor._persist_and_claim = claim  # type: ignore[method-assign]
    dispatch = noted_before(supervisor.Supervisor.dispatch, "dispatch")
    supervisor.Supervisor.dispatch = dispatch  # type: ignore[method-assign]
    runners.Runner.send = noted_before(runners.Runner.send, "job sent")  # type: ignore[method-assign]
    runners.runner_main = runner_main
    runner.run_job = noted_before(runner.run_job, "job received")


def make_app() -> Any:
    from cargohold import App

    app = App(store=os.environ[URL_ENV])

    @app.task
    def stamp() -> None:
        note("task started")
        write_notes()

    return app


if os.environ.get(URL_ENV):
    app = make_app()
    """What the worker runs (`WORKER`)."""


def produce(app: Any, jobs: int) -> None:
    stamp = app.tasks["stamp"]
    for _ in range(jobs):
        time.sleep(random.uniform(0.01, 0.03))
        note("enqueue")
        stamp.enqueue()
        note("enqueued")
    write_notes()
    time.sleep(0.5)


PATHS = {"claimed by the worker": STEPS, "handed over by the producer": HANDED_STEPS}


def figures(marks_path: Path) -> dict[str, dict[str, list[float]]]:
    """Per way a job came to the worker (`PATHS`): milliseconds from the step before, per
    step, over the jobs that came that way."""
    marks = sorted(
        (float(at), step.strip())
        for at, step in (line.split(" ", 1) for line in marks_path.read_text().splitlines())
    )
    jobs: list[dict[str, float]] = []
    for at, step in marks:
        if step == "enqueue":
            jobs.append({})
        if jobs and step not in jobs[-1]:
            jobs[-1][step] = at
    found: dict[str, dict[str, list[float]]] = {}
    for path, steps in PATHS.items():
        found[path] = {step: [] for step in steps[1:]}
        found[path]["in all"] = []
    for job in jobs[SKIPPED:]:
        # A claim after the job was sent is the worker's next one, not this job's.
        claimed = job.get("claim sent", float("inf")) < job.get("job sent", float("-inf"))
        path = "claimed by the worker" if claimed else "handed over by the producer"
        steps = PATHS[path]
        if not all(step in job for step in steps):
            continue
        for before, step in itertools.pairwise(steps):
            found[path][step].append((job[step] - job[before]) * 1000)
        found[path]["in all"].append((job["task started"] - job["enqueue"]) * 1000)
    return found


def run(store: str, jobs: int, scratch: Path) -> dict[str, dict[str, list[float]]]:
    import psycopg

    marks_path = scratch / "marks"
    if store == "postgres":
        url = ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            admin.execute(f"CREATE DATABASE {DATABASE}")
    else:
        url = f"sqlite:///{scratch / 'jobs.db'}"
    os.environ.update({URL_ENV: url, MARKS_ENV: str(marks_path)})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    app = make_app()
    app.store.migrate()
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, "--concurrency", "2"], env=env, cwd=ROOT
    )
    try:
        time.sleep(2)  # the worker starts and begins to LISTEN
        produce(app, jobs)
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        app.close()
        if store == "postgres":
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    return figures(marks_path)


WORKER = (
    "import sys; from bench import latency_steps as s; s.install_marks(); "
    "from cargohold.cli.main import main; "
    "sys.exit(main(['worker', 'bench.latency_steps:app', *sys.argv[1:]]))"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--jobs", type=int, default=300)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cargohold-steps-") as scratch:
        paths = run(options.store, options.jobs, Path(scratch))
    for path, steps in paths.items():
        if not steps["in all"]:
            continue
        count = len(steps["in all"])
        print(f"{options.store}, {path}: {count} jobs, milliseconds (median, p90)")
        for step, times in steps.items():
            p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
            print(f"  {step:>14}  {statistics.median(times):7.3f}  {p90:7.3f}")


if __name__ == "__main__":
    main()
