"""Summaries read through the store's public query verbs, shared by the API, the dashboard
and the metrics: queue depths and waits, throughput over time, failures grouped by error."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from cargohold.records import JobFilter, JobRecord, QueueCounts
from cargohold.states import JobState
from cargohold.store.protocol import Store

THROUGHPUT_WINDOW = 3600.0
THROUGHPUT_BUCKET = 300.0
SAMPLE_LIMIT = 2000
"""Most jobs read to draw throughput or group failures: it bounds the cost of a page."""
OLDEST_SAMPLE = 20


@dataclass(frozen=True, slots=True)
class QueueSummary:
    name: str
    counts: QueueCounts
    oldest_wait: float | None
    """Seconds the longest-waiting queued job has been ready to run, if any is queued."""
    paused: bool = False
    """Workers take nothing from it until it is resumed."""

    @property
    def depth(self) -> int:
        return self.counts[JobState.QUEUED]


@dataclass(frozen=True, slots=True)
class Bucket:
    start: float
    succeeded: int = 0
    failed: int = 0


@dataclass(slots=True)
class FailureGroup:
    error: str
    count: int = 0
    tasks: set[str] = field(default_factory=set)
    latest: JobRecord | None = None


def totals(counts: dict[str, QueueCounts]) -> dict[JobState, int]:
    return {state: sum(c[state] for c in counts.values()) for state in JobState}


def queue_summaries(store: Store, now: float) -> list[QueueSummary]:
    counts = store.count_jobs()
    paused = {c.name for c in store.queue_controls() if c.paused}
    return [
        QueueSummary(
            name,
            counts.get(name, QueueCounts()),
            _oldest_wait(store, name, now)
            if name in counts and counts[name][JobState.QUEUED]
            else None,
            paused=name in paused,
        )
        for name in sorted(set(counts) | paused)
    ]


def _oldest_wait(store: Store, queue: str, now: float) -> float | None:
    # The oldest ids are the likeliest to wait longest; a retried job keeps its old id but
    # became ready again at its run_at, hence the small sample and the max.
    oldest = store.find_jobs(
        JobFilter(
            states=(JobState.QUEUED,), queues=(queue,), newest_first=False, limit=OLDEST_SAMPLE
        )
    )
    waits = [now - max(job.run_at, job.created_at) for job in oldest]
    return max(0.0, *waits) if waits else None


def throughput(
    store: Store, now: float, window: float = THROUGHPUT_WINDOW, bucket: float = THROUGHPUT_BUCKET
) -> list[Bucket]:
    """Jobs that finished in each `bucket` seconds of the last `window`, among the jobs
    created in that window (at most SAMPLE_LIMIT of them)."""
    first = (now - window) // bucket * bucket
    count = int((now - first) // bucket) + 1
    succeeded = [0] * count
    failed = [0] * count
    finished = store.find_jobs(
        JobFilter(
            states=(JobState.SUCCEEDED, JobState.FAILED),
            created_after=first,
            limit=SAMPLE_LIMIT,
        )
    )
    for job in finished:
        if job.finished_at is None or job.finished_at < first:
            continue
        index = min(int((job.finished_at - first) // bucket), count - 1)
        if job.state == JobState.SUCCEEDED:
            succeeded[index] += 1
        else:
            failed[index] += 1
    return [Bucket(first + n * bucket, succeeded[n], failed[n]) for n in range(count)]


def failure_groups(store: Store, queues: tuple[str, ...] = ()) -> list[FailureGroup]:
    """Failed jobs (the newest SAMPLE_LIMIT) grouped by the first line of their error."""
    failed = store.find_jobs(
        JobFilter(states=(JobState.FAILED,), queues=queues, limit=SAMPLE_LIMIT)
    )
    groups: dict[str, FailureGroup] = {}
    for job in failed:
        error = (job.error or "no error recorded").strip().splitlines()[0][:300]
        group = groups.setdefault(error, FailureGroup(error))
        group.count += 1
        group.tasks.add(job.task)
        if group.latest is None:
            group.latest = job
    return sorted(groups.values(), key=lambda g: -g.count)


def running_by_worker(store: Store) -> dict[str, list[JobRecord]]:
    running = store.find_jobs(JobFilter(states=(JobState.RUNNING,), limit=SAMPLE_LIMIT))
    by_worker: dict[str, list[JobRecord]] = defaultdict(list)
    for job in running:
        by_worker[job.worker_id or ""].append(job)
    return by_worker
