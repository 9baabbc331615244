"""`/metrics` in the Prometheus text exposition format (version 0.0.4), written by hand: a
few gauges read through the store's public query verbs at scrape time."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cargohold.states import JobState
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
    ]
    return Response("\n".join(lines) + "\n", media_type=CONTENT_TYPE)


def metrics_routes() -> list[Route]:
    return [route("/metrics", metrics, ["GET"])]
