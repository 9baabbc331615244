"""Copying jobs from one store to another (`cargohold copy SRC DST`): queued, scheduled,
running and finished jobs with their events, and what the source learned about its tasks.

Job ids are kept, and a job the destination has already (same id, or same key) is left
alone, so running the copy twice writes nothing the second time. A job running on the source
is copied as queued, as if its worker had handed it back. The source is only read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from cargohold.errors import ConfigurationError, WorkersActiveError
from cargohold.records import Event, JobRecord, TaskStats, WorkerInfo
from cargohold.states import JobState

if TYPE_CHECKING:
    from collections.abc import Callable

    from cargohold.store.protocol import Store

    _ReadJobs = Callable[[str, int], list[JobRecord]]
    _ReadEvents = Callable[[list[str]], list[Event]]
    _ReadStats = Callable[[], list[TaskStats]]

ACTIVE_WITHIN = 60.0
"""A worker seen by its store within this many seconds counts as running."""
PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class CopyPage:
    """Some jobs of a store, with every event of theirs (oldest first); the last page of an
    export also carries the task statistics."""

    jobs: tuple[JobRecord, ...]
    events: tuple[Event, ...]
    task_stats: tuple[TaskStats, ...] = ()


@dataclass(slots=True)
class CopyReport:
    read: int = 0
    """Jobs read from the source."""
    written: int = 0
    """Jobs written to the destination; the others were there already."""
    by_state: Counter[str] = field(default_factory=Counter)
    """Jobs read, per state on the source."""
    requeued: list[str] = field(default_factory=list)
    """Jobs running on the source, copied as queued."""


def active_workers(store: Store, within: float = ACTIVE_WITHIN) -> list[WorkerInfo]:
    """Workers registered on `store` and seen within the last `within` seconds."""
    now = store.now()
    return [worker for worker in store.list_workers() if worker.last_seen >= now - within]


def copy_jobs(
    source: Store, destination: Store, *, force: bool = False, page_size: int = PAGE_SIZE
) -> CopyReport:
    """Copy every job of `source` into `destination`; WorkersActiveError while a worker is
    active on the source, unless `force`."""
    if source.url == destination.url:
        raise ConfigurationError(f"source and destination are the same store: {source.url}")
    active = active_workers(source)
    if active and not force:
        names = ", ".join(f"{w.id} (pid {w.pid} on {w.hostname})" for w in active)
        raise WorkersActiveError(
            f"{len(active)} worker(s) ran on {source.url} within the last "
            f"{ACTIVE_WITHIN:g}s: {names}. Stop them first (a worker seen longer ago counts "
            "as gone), or pass --force to copy anyway: jobs they change meanwhile are "
            "copied as they were when read, and may then run in both stores"
        )
    report = CopyReport()
    for page in source.export(page_size):
        report.read += len(page.jobs)
        report.by_state.update(str(job.state) for job in page.jobs)
        copied = _requeue_running(page, source, destination.now(), report)
        report.written += destination.import_page(copied)
    return report


def _requeue_running(page: CopyPage, source: Store, now: float, report: CopyReport) -> CopyPage:
    """Running jobs become queued (their cancelled, if a cancel was asked for), without
    spending their attempt, with an event saying why."""
    jobs: list[JobRecord] = []
    added: list[Event] = []
    for job in page.jobs:
        if job.state != JobState.RUNNING:
            jobs.append(job)
            continue
        report.requeued.append(job.id)
        state = JobState.CANCELLED if job.cancel_requested else JobState.QUEUED
        copied = replace(
            job,
            state=state,
            attempt=job.attempt if job.cancel_requested else max(job.attempt - 1, 0),
            run_at=min(job.run_at, now),
            started_at=None,
            finished_at=now if job.cancel_requested else None,
            worker_id=None,
            lease_token=None,
            lease_expires_at=None,
        )
        jobs.append(copied)
        added.append(
            Event(
                id=0,
                job_id=job.id,
                at=now,
                kind="cancelled" if job.cancel_requested else "handed_back",
                state=state,
                attempt=copied.attempt,
                lease_token=job.lease_token,
                worker_id=job.worker_id,
                reason=f"running on {source.url} when it was copied here",
            )
        )
    if not added:
        return page
    return replace(page, jobs=tuple(jobs), events=page.events + tuple(added))


def export_pages(
    read_jobs: _ReadJobs, read_events: _ReadEvents, read_stats: _ReadStats, page_size: int
) -> Iterator[CopyPage]:
    """Pages of jobs in id order (each read in its own short transaction), the task
    statistics with the last; what both stores' `export` return."""
    after = ""
    while True:
        jobs = read_jobs(after, page_size)
        events = read_events([job.id for job in jobs]) if jobs else []
        last = len(jobs) < page_size
        stats = read_stats() if last else []
        yield CopyPage(tuple(jobs), tuple(events), tuple(stats))
        if last:
            return
        after = jobs[-1].id
