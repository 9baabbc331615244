"""The dashboard's pages: overview, queues, jobs, one job, failures, workers."""

from __future__ import annotations

from dataclasses import dataclass, replace

from starlette.requests import Request
from starlette.responses import Response

from cargohold.errors import JobNotFoundError
from cargohold.line import place_in_line
from cargohold.states import JobState
from cargohold.web import stats
from cargohold.web.api import job_filter
from cargohold.web.auth import Access
from cargohold.web.dashboard.render import render
from cargohold.web.routing import context, endpoint, job_id_param

PAGE_SIZE = 50
CHART_WIDTH = 600
CHART_HEIGHT = 120


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    ok_height: float
    failed_height: float
    label: str
    succeeded: int
    failed: int


def chart(buckets: list[stats.Bucket]) -> list[Bar]:
    """Stacked bars (succeeded under failed) scaled to the chart, drawn as SVG by the page."""
    if not buckets:
        return []
    peak = max(1, *(b.succeeded + b.failed for b in buckets))
    step = CHART_WIDTH / len(buckets)
    scale = (CHART_HEIGHT - 10) / peak
    return [
        Bar(
            x=round(n * step + 2, 1),
            width=round(step - 4, 1),
            ok_height=round(b.succeeded * scale, 1),
            failed_height=round(b.failed * scale, 1),
            label=f"{b.succeeded} succeeded, {b.failed} failed",
            succeeded=b.succeeded,
            failed=b.failed,
        )
        for n, b in enumerate(buckets)
    ]


@endpoint(Access.READ, html=True)
def overview(request: Request) -> Response:
    store = context(request).app.store
    now = store.now()
    counts = store.count_jobs()
    buckets = stats.throughput(store, now)
    return render(
        request,
        "overview.html",
        totals=stats.totals(counts),
        queues=stats.queue_summaries(store, now),
        workers=store.list_workers(),
        bars=chart(buckets),
        chart_width=CHART_WIDTH,
        chart_height=CHART_HEIGHT,
        window_minutes=int(stats.THROUGHPUT_WINDOW // 60),
        bucket_minutes=int(stats.THROUGHPUT_BUCKET // 60),
        finished=sum(b.succeeded + b.failed for b in buckets),
        failures=stats.failure_groups(store)[:5],
        states=list(JobState),
    )


@endpoint(Access.READ, html=True)
def queues(request: Request) -> Response:
    store = context(request).app.store
    return render(
        request,
        "queues.html",
        queues=stats.queue_summaries(store, store.now()),
        states=list(JobState),
    )


@endpoint(Access.READ, html=True)
def jobs(request: Request) -> Response:
    store = context(request).app.store
    query = job_filter(request, PAGE_SIZE)
    search = request.query_params.get("q", "").strip()
    if search:  # an id or an idempotency key
        by_id = store.find_jobs(replace(query, ids=(search,), limit=1, offset=0))
        found = by_id or store.find_jobs(replace(query, key=search, limit=1, offset=0))
        more = False
    else:
        found = store.find_jobs(replace(query, limit=query.limit + 1))
        more = len(found) > query.limit
    params = {
        "state": ",".join(str(s) for s in query.states),
        "queue": ",".join(query.queues),
        "task": ",".join(query.tasks),
        "q": search,
    }
    return render(
        request,
        "jobs.html",
        jobs=found[: query.limit],
        query=query,
        params=params,
        next_offset=query.offset + query.limit if more else None,
        previous_offset=max(query.offset - query.limit, 0) if query.offset else None,
        states=list(JobState),
    )


@endpoint(Access.READ, html=True)
def job(request: Request) -> Response:
    store = context(request).app.store
    record = store.get_job(job_id_param(request))
    if record is None:
        raise JobNotFoundError(f"no job has id {request.path_params['job_id']!r}")
    return render(
        request,
        "job.html",
        job=record,
        events=store.job_events(record.id),
        terminal=record.state.is_terminal,
        place=place_in_line(store, record),
        retryable=record.state in (JobState.FAILED, JobState.CANCELLED),
    )


@endpoint(Access.READ, html=True)
def failures(request: Request) -> Response:
    store = context(request).app.store
    groups = stats.failure_groups(store)
    return render(request, "failures.html", groups=groups, total=sum(g.count for g in groups))


@endpoint(Access.READ, html=True)
def workers(request: Request) -> Response:
    store = context(request).app.store
    return render(
        request,
        "workers.html",
        workers=store.list_workers(),
        running=stats.running_by_worker(store),
    )
