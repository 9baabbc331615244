"""`cargohold demo`: a burst of example jobs on the embedded store, shown live, then summed up."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from statistics import median
from typing import TextIO

from cargohold.app import App
from cargohold.context import current_job
from cargohold.job import Job
from cargohold.records import JobFilter, JobRecord
from cargohold.states import JobState
from cargohold.units import format_duration
from cargohold.worker.supervisor import run_with_callback

DEMO_QUEUE = "cargohold-demo"
TIME_LIMIT = 50.0
BAR_WIDTH = 24


def build_demo_app() -> App:
    app = App()

    @app.task(queue=DEMO_QUEUE, retries=0, memory="64MB")
    def render_book(order_id: str, pages: int = 12) -> dict[str, str]:
        """Renders a picture book page by page, reporting progress."""
        for page in range(1, pages + 1):
            time.sleep(0.12)
            current_job().progress(page, pages, f"page {page} of {pages}")
        return {"pdf": f"/books/{order_id}.pdf"}

    @app.task(queue=DEMO_QUEUE, retries=2, backoff="0.5s", memory="32MB")
    def upload_photo(photo: str) -> str:
        """Fails on its first attempt (a flaky network), then succeeds."""
        time.sleep(0.3)
        if current_job().attempt == 1:
            raise ConnectionError(f"connection reset while uploading {photo}")
        return f"s3://photos/{photo}"

    @app.task(queue=DEMO_QUEUE, retries=1, backoff="0.5s", memory="32MB")
    def monthly_report(month: str) -> None:
        """Always fails: it ends in the dead-letter state after its retry."""
        time.sleep(0.2)
        raise ValueError(f"no sales data for {month}")

    return app


def enqueue_burst(app: App, count: int) -> list[Job[object]]:
    calls = []
    for number in range(count):
        kind = number % 6
        if kind in (0, 2, 4):
            calls.append(app.tasks["render_book"].call(f"ord_{number}"))
        elif kind in (1, 3):
            calls.append(app.tasks["upload_photo"].call(f"photo_{number}.jpg"))
        else:
            calls.append(app.tasks["monthly_report"].call(f"2026-{number % 12 + 1:02d}"))
    return app.enqueue_many(calls)


def run_demo(jobs: int = 12, concurrency: int = 3, out: TextIO = sys.stdout) -> int:
    logging.getLogger("cargohold").setLevel(logging.WARNING)
    app = build_demo_app()
    burst = enqueue_burst(app, jobs)
    ids = tuple(job.id for job in burst)
    out.write(
        f"cargohold demo: {len(ids)} jobs enqueued in {app.store.url}, {concurrency} runners\n\n"
    )
    screen = LiveView(out)
    started = time.monotonic()
    snapshot: list[JobRecord] = []

    def finished() -> bool:
        nonlocal snapshot
        snapshot = app.store.find_jobs(JobFilter(ids=ids, limit=len(ids)))
        timed_out = time.monotonic() - started > TIME_LIMIT
        return timed_out or all(job.state.is_terminal for job in snapshot)

    supervisor = app.worker(
        concurrency=concurrency, queues=DEMO_QUEUE, poll_interval=0.2, grace=2.0
    )
    run_with_callback(
        supervisor,
        until=finished,
        every=0.1,
        callback=lambda: screen.draw(snapshot, time.monotonic() - started),
    )
    screen.draw(snapshot, time.monotonic() - started, final=True)
    out.write("\n" + summary(app, ids, time.monotonic() - started) + "\n")
    app.close()
    return 0 if all(job.state.is_terminal for job in snapshot) else 1


class LiveView:
    """A progress bar per running job and the queue depth, redrawn in place on a terminal;
    on anything else, a line whenever the counts change."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.interactive = out.isatty()
        self._lines_drawn = 0
        self._last_counts: tuple[int, ...] = ()

    def draw(self, jobs: list[JobRecord], elapsed: float, final: bool = False) -> None:
        counts = Counter(job.state for job in jobs)
        header = (
            f"[{elapsed:5.1f}s] queued {counts[JobState.QUEUED] + counts[JobState.SCHEDULED]}"
            f"  running {counts[JobState.RUNNING]}  succeeded {counts[JobState.SUCCEEDED]}"
            f"  failed {counts[JobState.FAILED]}"
        )
        if not self.interactive:
            key = tuple(counts[state] for state in JobState)
            if key != self._last_counts or final:
                self._last_counts = key
                self.out.write(header + "\n")
                for job in jobs:
                    if job.state == JobState.RUNNING:
                        self.out.write("  " + bar(job) + "\n")
            return
        lines = [header] + ["  " + bar(job) for job in jobs if job.state == JobState.RUNNING]
        if self._lines_drawn:
            self.out.write(f"\x1b[{self._lines_drawn}F\x1b[J")
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        self._lines_drawn = len(lines)


def bar(job: JobRecord) -> str:
    fraction = 0.0
    label = "starting"
    if job.progress_current is not None and job.progress_total:
        fraction = min(job.progress_current / job.progress_total, 1.0)
        label = job.progress_message or f"{job.progress_current:g}/{job.progress_total:g}"
    filled = round(fraction * BAR_WIDTH)
    return (
        f"{job.task:<15} {job.id[-6:]} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
        f"{fraction:4.0%} {label} (attempt {job.attempt})"
    )


def summary(app: App, ids: tuple[str, ...], elapsed: float) -> str:
    """The demo's result, read back from the store."""
    jobs = app.store.find_jobs(JobFilter(ids=ids, limit=len(ids)))
    by_state = Counter(str(job.state) for job in jobs)
    retries = sum(
        1 for job in jobs for event in app.store.job_events(job.id) if event.kind == "retrying"
    )
    lines = [f"Summary after {format_duration(elapsed)} (read back from the store):"]
    lines.append("  jobs by state: " + ", ".join(f"{s} {n}" for s, n in sorted(by_state.items())))
    lines.append(f"  retries: {retries}")
    for task in sorted({job.task for job in jobs}):
        durations = [job.duration for job in jobs if job.task == task and job.duration is not None]
        if durations:
            lines.append(
                f"  {task}: {len(durations)} finished, median run "
                f"{format_duration(median(durations))}, longest "
                f"{format_duration(max(durations))}"
            )
    for job in jobs:
        if job.state == JobState.FAILED:
            lines.append(f"  failed {job.id} {job.task}: {job.error}")
    lines.append(
        "Inspect them with: cargohold jobs --queue cargohold-demo, cargohold status JOB_ID"
    )
    return "\n".join(lines)
