"""`/metrics` in the Prometheus text exposition format (version 0.0.4), written by hand, read
through the store's public query verbs at scrape time: gauges of what is in the store now, and
histograms and counters over the jobs it still holds (durations, waits, retries, memory kills).

The store is the only state, shared by every web process: these counts are what its jobs and
events say, so pruning old jobs lowers them (Prometheus reads that as a counter reset)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cargohold.records import Histogram
from cargohold.states import JobState
from cargohold.store.protocol import Store
from cargohold.web import stats
from cargohold.web.auth import Access
from cargohold.web.routing import context, endpoint, route

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Sample = tuple[dict[str, str], float]


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metric(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        shown = ",".join(f'{key}="{escape_label(text)}"' for key, text in labels.items())
        lines.append(f"{name}{{{shown}}} {value:g}" if shown else f"{name} {value:g}")
    return lines


def histogram(
    name: str, help_text: str, label: str, histograms: Mapping[str, Histogram]
) -> list[str]:
    """A histogram family: cumulative `_bucket` samples, `_sum` and `_count`, per label."""
    samples: list[str] = []
    for value, found in sorted(histograms.items()):
        shown = f'{label}="{escape_label(value)}"'
        for bound, count in found.buckets:
            le = "+Inf" if math.isinf(bound) else f"{bound:g}"
            samples.append(f'{name}_bucket{{{shown},le="{le}"}} {count}')
        samples.append(f"{name}_sum{{{shown}}} {found.sum:g}")
        samples.append(f"{name}_count{{{shown}}} {found.count}")
    return [f"# HELP {name} {help_text}", f"# TYPE {name} histogram", *samples]


def counter(name: str, help_text: str, label: str, counts: Mapping[str, int]) -> list[str]:
    return metric(name, "counter", help_text, (({label: k}, v) for k, v in sorted(counts.items())))


def job_families(store: Store) -> list[str]:
    found = store.job_metrics()
    return [
        *histogram(
            "cargohold_job_duration_seconds",
            "How long the last attempt of each succeeded or failed job ran, by task.",
            "task",
            found.durations,
        ),
        *histogram(
            "cargohold_job_wait_seconds",
            "How long each started job waited from ready (enqueued, or its delay or backoff "
            "over) to the start of its last attempt, by queue.",
            "queue",
            found.waits,
        ),
        *counter(
            "cargohold_job_retries_total",
            "Attempts that failed and were scheduled again, by task.",
            "task",
            found.retries,
        ),
        *counter(
            "cargohold_job_memory_kills_total",
            "Attempts killed for outgrowing their memory (by the worker or the kernel's OOM "
            "killer) and run again with more, by task; a job failed by its last kill counts "
            "as a failure.",
            "task",
            found.memory_kills,
        ),
    ]


@endpoint(Access.READ)
def metrics(request: Request) -> Response:
    store = context(request).app.store
    now = store.now()
    queues = stats.queue_summaries(store, now)
    workers = store.list_workers()
    lines = [
        *metric(
            "cargohold_jobs",
            "gauge",
            "Jobs in the store, by queue and state.",
            (
                ({"queue": q.name, "state": str(state)}, q.counts[state])
                for q in queues
                for state in JobState
            ),
        ),
        *metric(
            "cargohold_queue_oldest_wait_seconds",
            "gauge",
            "How long the longest-waiting queued job of each queue has been ready to run.",
            (({"queue": q.name}, q.oldest_wait or 0.0) for q in queues),
        ),
        *metric("cargohold_workers", "gauge", "Workers registered.", [({}, len(workers))]),
        *metric(
            "cargohold_runners",
            "gauge",
            "Runner processes of the registered workers (their concurrency).",
            [({}, sum(w.concurrency or 0 for w in workers))],
        ),
        *metric(
            "cargohold_worker_last_seen_seconds",
            "gauge",
            "Seconds since each worker's last heartbeat.",
            (({"worker": w.id}, max(now - w.last_seen, 0.0)) for w in workers),
        ),
        *job_families(store),
    ]
    return Response("\n".join(lines) + "\n", media_type=CONTENT_TYPE)


def metrics_routes() -> list[Route]:
    return [route("/metrics", metrics, ["GET"])]
