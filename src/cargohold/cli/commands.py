"""What each `cargohold` command does, through the public API only."""

from __future__ import annotations

import argparse
import json
import os
from statistics import median
from typing import Any

from cargohold.app import App
from cargohold.cli import copying, queues
from cargohold.cli.loading import load_app
from cargohold.cli.output import (
    ago,
    job_as_dict,
    place_as_dict,
    print_json,
    progress_text,
    table,
)
from cargohold.errors import ConfigurationError, InvalidTransitionError, JobNotFoundError
from cargohold.line import Place, place_in_line
from cargohold.payload import storable_text
from cargohold.records import JobFilter, JobRecord, TaskStats, WorkerInfo
from cargohold.settings import DEFAULT_STORE, Settings, describe, env_var
from cargohold.states import JobState
from cargohold.store import Store, open_store
from cargohold.units import format_duration, format_size


def run(options: argparse.Namespace) -> int:
    if options.store:
        # Apps built with App() read their store from the environment: make --store win.
        os.environ[env_var("store")] = options.store
    handler = _COMMANDS[options.command]
    return handler(options)


def _store(options: argparse.Namespace) -> Store:
    if options.app:
        return load_app(options.app).store
    return open_store(options.store or os.environ.get(env_var("store"), DEFAULT_STORE))


def _app(options: argparse.Namespace, reference: str | None) -> App:
    reference = reference or options.app
    if not reference:
        raise ConfigurationError(
            f"the {options.command} command needs the app: pass it as MODULE:ATTRIBUTE "
            f"(e.g. myapp:app), with --app or in {env_var('app')}"
        )
    return load_app(reference)


def worker(options: argparse.Namespace) -> int:
    app = _app(options, options.app_ref)
    overrides = {name: getattr(options, name, None) for name, _, _ in describe()}
    overrides.pop("store")
    app.run_worker(**{k: v for k, v in overrides.items() if v is not None})
    return 0


def enqueue(options: argparse.Namespace) -> int:
    app = _app(options, None)
    args = _parse_json("--args", options.args)
    kwargs = _parse_json("--kwargs", options.kwargs)
    if not isinstance(args, list):
        raise ConfigurationError(f"--args must be a JSON list such as '[1, \"a\"]', not {args!r}")
    if not isinstance(kwargs, dict):
        raise ConfigurationError("--kwargs must be a JSON object such as '{\"a\": 1}'")
    job = app.enqueue(
        options.task,
        args,
        kwargs,
        key=options.key,
        delay=options.delay,
        priority=options.priority,
        queue=options.queue,
    )
    if options.json:
        print_json(job_as_dict(job.record))
    else:
        verb = "enqueued" if job.created else "already enqueued (same key)"
        print(f"{job.id} {verb}: {job.task} in queue {job.queue}, {job.state}")
    return 0


def status(options: argparse.Namespace) -> int:
    store = _store(options)
    job = _require(store, options.job_id)
    events = store.job_events(job.id)
    place = place_in_line(store, job)
    if options.json:
        print_json(
            {
                **job_as_dict(job),
                **place_as_dict(place),
                "events": [_event_dict(e) for e in events],
            }
        )
        return 0
    lines = [
        ("id", job.id),
        ("task", job.task),
        ("queue", job.queue),
        ("state", str(job.state)),
        ("attempt", f"{job.attempt} of {job.max_attempts}"),
        ("priority", job.priority),
        ("key", job.key or "-"),
        ("args", job.args),
        ("created", ago(job.created_at)),
        ("run at", ago(job.run_at)),
        ("started", ago(job.started_at)),
        ("finished", ago(job.finished_at)),
        ("duration", format_duration(job.duration) if job.duration is not None else "-"),
        ("worker", job.worker_id or "-"),
        ("progress", progress_text(job) or "-"),
        ("memory", _memory_text(job)),
        ("position", f"{place.position} in queue {job.queue}" if place.position else "-"),
        ("starts", _starts_text(job, place)),
        ("waiting", place.reason or "-"),
        ("result", job.result if job.result is not None else "-"),
        ("error", job.error or "-"),
    ]
    width = max(len(name) for name, _ in lines)
    for name, value in lines:
        print(f"{name.rjust(width)}  {value}")
    if job.traceback:
        print("\n" + job.traceback.rstrip())
    print()
    print(
        table(
            ["at", "event", "state", "attempt", "worker", "reason"],
            [
                (ago(e.at), e.kind, e.state, e.attempt, e.worker_id or "", _short(e.reason, 60))
                for e in events
            ],
        )
    )
    return 0


def jobs(options: argparse.Namespace) -> int:
    store = _store(options)
    found = store.find_jobs(
        JobFilter(
            states=tuple(JobState(s) for s in options.state or ()),
            queues=tuple(options.queue or ()),
            tasks=tuple(options.task or ()),
            limit=options.limit,
        )
    )
    if options.json:
        print_json([job_as_dict(job) for job in found])
        return 0
    print(
        table(
            ["id", "task", "queue", "state", "attempt", "progress", "created", "error"],
            [
                (
                    j.id,
                    j.task,
                    j.queue,
                    j.state,
                    f"{j.attempt}/{j.max_attempts}",
                    progress_text(j),
                    ago(j.created_at),
                    _short(j.error, 50),
                )
                for j in found
            ],
        )
    )
    return 0


def retry(options: argparse.Namespace) -> int:
    store = _store(options)
    if options.job_id and options.failed:
        raise ConfigurationError("give a job id or --failed, not both")
    if options.job_id:
        job = store.retry(options.job_id, store.now())
        print(f"{job.id} queued again ({job.task})")
        return 0
    if not options.failed:
        raise ConfigurationError("give a job id, or --failed to retry every failed job")
    failed: list[str] = []
    while True:  # take the list first: jobs that fail again meanwhile are not retried twice
        page = store.find_jobs(
            JobFilter(
                states=(JobState.FAILED,),
                queues=tuple(options.queue or ()),
                tasks=tuple(options.task or ()),
                limit=500,
                offset=len(failed),
            )
        )
        failed += [job.id for job in page]
        if len(page) < 500:
            break
    count = 0
    for job_id in failed:
        try:
            store.retry(job_id, store.now())
            count += 1
        except InvalidTransitionError:
            pass  # retried or deleted meanwhile
    print(f"{count} failed job(s) queued again")
    return 0


def cancel(options: argparse.Namespace) -> int:
    store = _store(options)
    before = _require(store, options.job_id)
    if before.state.is_terminal:
        print(f"{before.id} had already finished: {before.state}")
        return 1
    after = store.cancel(before.id, storable_text(options.reason), store.now())
    if after.state == JobState.CANCELLED:
        print(f"{after.id} cancelled")
    else:
        print(f"{after.id} is running: its worker will stop it at its next heartbeat")
    return 0


def stats(options: argparse.Namespace) -> int:
    store = _store(options)
    counts = store.count_jobs()
    workers = store.list_workers()
    tasks = store.task_stats()
    states = list(JobState)
    if options.json:
        print_json(
            {
                "queues": {q: {str(s): c[s] for s in states} for q, c in counts.items()},
                "workers": [_worker_dict(w) for w in workers],
                "tasks": [_worker_dict(t) for t in tasks],
            }
        )
        return 0
    rows: list[list[Any]] = [
        [queue, *(c[s] for s in states)] for queue, c in sorted(counts.items())
    ]
    print(table(["queue", *states], rows) if rows else "no jobs")
    print()
    print(_workers_table(workers) if workers else "no workers running")
    if tasks:
        print()
        print(_tasks_table(tasks))
    return 0


def _workers_table(workers: list[WorkerInfo]) -> str:
    def memory(worker: WorkerInfo) -> str:
        if worker.memory_budget is None:
            return "-"
        return f"{format_size(worker.memory_free or 0)} of {format_size(worker.memory_budget)}"

    return table(
        ["worker", "queues", "concurrency", "memory free", "started", "last seen"],
        [
            (
                w.id,
                ",".join(w.queues or ["*"]),
                w.concurrency,
                memory(w),
                ago(w.started_at),
                ago(w.last_seen),
            )
            for w in workers
        ],
    )


def _tasks_table(tasks: list[TaskStats]) -> str:
    return table(
        ["task", "runs seen", "median run", "median peak", "learned reservation"],
        [
            (
                t.task,
                len(t.durations),
                format_duration(median(t.durations)) if t.durations else "-",
                format_size(median(t.peaks)) if t.peaks else "-",
                format_size(t.learned_memory) if t.learned_memory is not None else "not yet",
            )
            for t in tasks
        ],
    )


def migrate(options: argparse.Namespace) -> int:
    store = _store(options)
    print(f"{store.url}: schema up to date ({store.migrate()} migration(s) applied now)")
    return 0


def serve(options: argparse.Namespace) -> int:
    try:
        from cargohold.web.server import serve as serve_web
        from cargohold.web.settings import WebSettings
    except ModuleNotFoundError as error:
        raise ConfigurationError(
            f"the serve command needs the [web] extra ({error.name} is not installed): "
            "pip install 'cargohold[web]'"
        ) from None
    app = _app(options, options.app_ref)
    serve_web(app, WebSettings.from_env(host=options.host, port=options.port))
    return 0


def demo(options: argparse.Namespace) -> int:
    from cargohold.demo import run_demo

    return run_demo(jobs=options.jobs, concurrency=options.concurrency)


def _starts_text(job: JobRecord, place: Place) -> str:
    """When a waiting job should start, worded as the dashboard's job page words it."""
    found = place.estimate
    if not job.state.is_waiting:
        return "-"
    if found.seconds is None:
        return f"unknown: {found.basis}"
    when = f"in about {format_duration(found.seconds)}" if found.seconds > 0 else "now"
    return f"{when} ({found.confidence} confidence: {found.basis})"


def _memory_text(job: JobRecord) -> str:
    parts = []
    if job.need is not None:
        parts.append(f"reserves {format_size(job.need)}")
    if job.memory is not None:
        parts.append(f"declared {format_size(job.memory)}")
    if job.peak_memory is not None:
        parts.append(f"peak {format_size(job.peak_memory)}")
    if job.memory_kills:
        parts.append(f"killed for memory {job.memory_kills} time(s)")
    return ", ".join(parts) or "-"


def doctor(options: argparse.Namespace) -> int:
    from cargohold.memory.admission import MemoryOffer, default_concurrency
    from cargohold.worker.memory_control import MemoryControl

    settings = Settings.from_env()
    control = MemoryControl(settings.memory, settings.memory_headroom)
    try:
        control.observe_others([])
        lines = {"store": options.store or settings.store, **control.describe()}
        offer: MemoryOffer = control.offer([], busy=False)
        lines["default concurrency"] = str(default_concurrency(offer.free))
    finally:
        control.close()
    width = max(len(name) for name in lines)
    for name, value in lines.items():
        print(f"{name.rjust(width)}  {value}")
    return 0


def _parse_json(flag: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ConfigurationError(f"{flag} is not JSON ({error}): {text!r}") from None


def _require(store: Store, job_id: str) -> JobRecord:
    job = store.get_job(job_id)
    if job is None:
        raise JobNotFoundError(f"no job has id {job_id!r} in {store.url}")
    return job


def _short(text: str | None, width: int) -> str:
    if not text:
        return ""
    line = text.splitlines()[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def _event_dict(event: Any) -> dict[str, Any]:
    return {name: getattr(event, name) for name in event.__dataclass_fields__}


def _worker_dict(worker: Any) -> dict[str, Any]:
    return {name: getattr(worker, name) for name in worker.__dataclass_fields__}


_COMMANDS = {
    "worker": worker,
    "enqueue": enqueue,
    "status": status,
    "jobs": jobs,
    "retry": retry,
    "cancel": cancel,
    "stats": stats,
    "migrate": migrate,
    "copy": copying.copy,
    **queues.COMMANDS,
    "doctor": doctor,
    "demo": demo,
    "serve": serve,
}
