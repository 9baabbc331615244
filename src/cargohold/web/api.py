"""The JSON API: enqueue, read and act on jobs, queues, workers and stats.

Handlers are plain functions run in a thread (the stores are blocking); each declares its
access level with `@endpoint`, and `cargohold.web.openapi` describes each one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cargohold.errors import InvalidTransitionError
from cargohold.line import place_in_line
from cargohold.records import JobFilter
from cargohold.states import JobState
from cargohold.units import parse_duration
from cargohold.web import stats
from cargohold.web.auth import Access
from cargohold.web.http import (
    ApiError,
    field,
    no_store,
    parse_json_body,
    query_int,
    query_list,
)
from cargohold.web.routing import context, endpoint, job_id_param, route
from cargohold.web.stream import stream_status
from cargohold.web.views import event_json, job_json, place_json, status_json, worker_json

MAX_PAGE = 500
MAX_BULK = 500
PRIORITY_RANGE = (-(2**31), 2**31 - 1)
MAX_DELAY = 10 * 365 * 86400.0
ENQUEUE_FIELDS = frozenset({"task", "args", "kwargs", "key", "delay", "priority", "queue"})


def _ok(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return no_store(JSONResponse(value, status_code=status, headers=headers))


@endpoint(Access.PUBLIC)
def health(request: Request) -> Response:
    """Whether the store answers: 200, or 503 with the reason."""
    store = context(request).app.store
    try:
        store.count_jobs()
    except Exception as error:
        raise ApiError(503, f"the store does not answer: {type(error).__name__}") from None
    return _ok({"status": "ok"})


@endpoint(Access.ADMIN)
def enqueue(request: Request) -> Response:
    ctx = context(request)
    body = parse_json_body(request.state.body)
    unknown = sorted(set(body) - ENQUEUE_FIELDS)
    if unknown:
        raise ApiError(400, f"unknown field(s) {unknown}; known: {sorted(ENQUEUE_FIELDS)}")
    task = field(body, "task", str)
    if not task:
        raise ApiError(400, "'task' is required: the registered name of a task")
    priority = field(body, "priority", int)
    if priority is not None and not PRIORITY_RANGE[0] <= priority <= PRIORITY_RANGE[1]:
        raise ApiError(
            400, f"'priority' must be between {PRIORITY_RANGE[0]} and {PRIORITY_RANGE[1]}"
        )
    queue = field(body, "queue", str)
    if queue is not None and not queue.strip():
        raise ApiError(400, "'queue' must not be empty")
    job = ctx.app.enqueue(
        task,
        field(body, "args", list, []),
        field(body, "kwargs", dict, {}),
        key=field(body, "key", str),
        delay=_delay(field(body, "delay", (int, float, str))),
        priority=priority,
        queue=queue,
    )
    base = request.scope.get("root_path", "")
    location = f"{base}/jobs/{job.id}"
    reply = {
        **job_json(job.record),
        "created": job.created,
        "status_url": f"{location}/status?sig={ctx.auth.sign(job.id)}",
    }
    return _ok(reply, 201 if job.created else 200, {"Location": location})


def _delay(value: float | str | None) -> float | None:
    if value is None:
        return None
    seconds = parse_duration(value)  # ConfigurationError (422) names the accepted forms
    if seconds > MAX_DELAY:
        raise ApiError(400, "'delay' is more than ten years")
    return seconds


def job_filter(request: Request, default_limit: int = 50) -> JobFilter:
    """The filter given by `state`, `queue`, `task`, `key`, `limit`, `offset` and `order`."""
    states = query_list(request, "state")
    known = {str(s) for s in JobState}
    for state in states:
        if state not in known:
            raise ApiError(400, f"state {state!r} is not one of {sorted(known)}")
    order = request.query_params.get("order", "newest")
    if order not in ("newest", "oldest"):
        raise ApiError(400, "order must be 'newest' or 'oldest'")
    return JobFilter(
        states=tuple(JobState(s) for s in states),
        queues=query_list(request, "queue"),
        tasks=query_list(request, "task"),
        key=request.query_params.get("key") or None,
        limit=query_int(request, "limit", default_limit, 1, MAX_PAGE),
        offset=query_int(request, "offset", 0, 0, 10**9),
        newest_first=order == "newest",
    )


@endpoint(Access.READ)
def list_jobs(request: Request) -> Response:
    query = job_filter(request)
    store = context(request).app.store
    found = store.find_jobs(replace(query, limit=query.limit + 1))
    more = len(found) > query.limit
    return _ok(
        {
            "jobs": [job_json(job) for job in found[: query.limit]],
            "limit": query.limit,
            "offset": query.offset,
            "next_offset": query.offset + query.limit if more else None,
        }
    )


@endpoint(Access.READ)
def get_job(request: Request) -> Response:
    store = context(request).app.store
    record = context(request).app.job(job_id_param(request)).record
    place = place_in_line(store, record)
    return _ok({**job_json(record), **place_json(place), "eta_basis": place.estimate.basis})


@endpoint(Access.READ)
def job_events(request: Request) -> Response:
    job = context(request).app.job(job_id_param(request))
    return _ok({"events": [event_json(e) for e in job.events()]})


@endpoint(Access.STATUS)
def job_status(request: Request) -> Response:
    ctx = context(request)
    record = ctx.app.job(job_id_param(request)).record
    place = place_in_line(ctx.app.store, record, public=True)
    return _ok(status_json(record, ctx.public_result, place))


@endpoint(Access.STATUS)
async def job_stream(request: Request) -> Response:
    return await stream_status(request, job_id_param(request))


@endpoint(Access.ADMIN)
def retry_job(request: Request) -> Response:
    store = context(request).app.store
    return _ok(job_json(store.retry(job_id_param(request), store.now())))


@endpoint(Access.ADMIN)
def cancel_job(request: Request) -> Response:
    body = parse_json_body(request.state.body, required=False)
    reason = field(body, "reason", str) or "cancelled through the HTTP API"
    job = context(request).app.job(job_id_param(request))
    if not job.cancel(reason[:1000]):
        raise InvalidTransitionError(f"job {job.id} has already finished: {job.state}")
    return _ok(job_json(job.record))


@endpoint(Access.ADMIN)
def delete_job(request: Request) -> Response:
    """Delete a job that is not running, with its events; answer with the job as it was."""
    store = context(request).app.store
    return _ok(job_json(store.delete_job(job_id_param(request))))


@endpoint(Access.ADMIN)
def retry_many(request: Request) -> Response:
    """Queue again the failed jobs named by `ids`, or every failed job of `queues`/`tasks`."""
    body = parse_json_body(request.state.body, required=False)
    ids = _strings(body, "ids")
    store = context(request).app.store
    if ids:
        jobs = store.find_jobs(JobFilter(ids=ids, limit=len(ids)))
        targets = [job.id for job in jobs if job.state in (JobState.FAILED, JobState.CANCELLED)]
    else:
        found = store.find_jobs(
            JobFilter(
                states=(JobState.FAILED,),
                queues=_strings(body, "queues"),
                tasks=_strings(body, "tasks"),
                limit=MAX_BULK,
            )
        )
        targets = [job.id for job in found]
    retried = 0
    for job_id in targets:
        try:
            store.retry(job_id, store.now())
            retried += 1
        except InvalidTransitionError:  # changed meanwhile (retried by someone else)
            continue
    return _ok({"retried": retried, "skipped": len(ids) - retried if ids else 0})


def _strings(body: dict[str, Any], name: str) -> tuple[str, ...]:
    values = field(body, name, list, [])
    if len(values) > MAX_BULK:
        raise ApiError(400, f"{name!r} may hold at most {MAX_BULK} values per request")
    if not all(isinstance(v, str) for v in values):
        raise ApiError(400, f"{name!r} must be a list of strings")
    return tuple(values)


@endpoint(Access.ADMIN)
def prune(request: Request) -> Response:
    body = parse_json_body(request.state.body)
    state_name = field(body, "state", str)
    terminal = sorted(str(s) for s in JobState if s.is_terminal)
    if state_name not in terminal:
        raise ApiError(400, f"'state' must be one of {terminal}")
    older_than = field(body, "older_than", (int, float, str))
    if older_than is None:
        raise ApiError(400, "'older_than' is required, e.g. \"7d\" or a number of seconds")
    store = context(request).app.store
    before = store.now() - min(parse_duration(older_than), MAX_DELAY)
    return _ok({"deleted": store.prune(JobState(state_name), before)})


@endpoint(Access.READ)
def queues(request: Request) -> Response:
    store = context(request).app.store
    return _ok({"queues": [_queue_json(q) for q in stats.queue_summaries(store, store.now())]})


def _queue_json(summary: stats.QueueSummary) -> dict[str, Any]:
    counts = summary.counts
    return {
        "name": summary.name,
        "depth": summary.depth,
        "scheduled": counts[JobState.SCHEDULED],
        "running": counts[JobState.RUNNING],
        "oldest_wait": summary.oldest_wait,
        "counts": {str(state): counts[state] for state in JobState},
        "paused": summary.paused,
    }


@endpoint(Access.ADMIN)
def pause_queue(request: Request) -> Response:
    """Workers stop claiming from the queue (running jobs finish); kept in the store."""
    return _queue_switch(request, paused=True)


@endpoint(Access.ADMIN)
def resume_queue(request: Request) -> Response:
    return _queue_switch(request, paused=False)


def _queue_switch(request: Request, *, paused: bool) -> Response:
    name: str = request.path_params["queue"]
    if not name.strip() or len(name) > 200:
        raise ApiError(404, f"{name!r} cannot be a queue name")
    store = context(request).app.store
    changed = store.set_queue_paused(name, paused, store.now())
    return _ok({"queue": name, "paused": paused, "changed": changed})


@endpoint(Access.READ)
def workers(request: Request) -> Response:
    store = context(request).app.store
    running = stats.running_by_worker(store)
    return _ok(
        {
            "workers": [
                worker_json(w, [job.id for job in running.get(w.id, [])])
                for w in store.list_workers()
            ]
        }
    )


@endpoint(Access.READ)
def overview(request: Request) -> Response:
    store = context(request).app.store
    counts = store.count_jobs()
    return _ok(
        {
            "totals": {str(s): n for s, n in stats.totals(counts).items()},
            "queues": {q: {str(s): c[s] for s in JobState} for q, c in sorted(counts.items())},
            "workers": len(store.list_workers()),
            "throughput": [
                {"start": b.start, "succeeded": b.succeeded, "failed": b.failed}
                for b in stats.throughput(store, store.now())
            ],
        }
    )


def api_routes() -> list[Route]:
    return [
        route("/health", health, ["GET"]),
        route("/jobs", enqueue, ["POST"]),
        route("/jobs", list_jobs, ["GET"]),
        route("/jobs/retry", retry_many, ["POST"]),
        route("/jobs/prune", prune, ["POST"]),
        route("/jobs/{job_id}", get_job, ["GET"]),
        route("/jobs/{job_id}", delete_job, ["DELETE"]),
        route("/jobs/{job_id}/events", job_events, ["GET"]),
        route("/jobs/{job_id}/status", job_status, ["GET"]),
        route("/jobs/{job_id}/stream", job_stream, ["GET"]),
        route("/jobs/{job_id}/retry", retry_job, ["POST"]),
        route("/jobs/{job_id}/cancel", cancel_job, ["POST"]),
        route("/queues", queues, ["GET"]),
        route("/queues/{queue}/pause", pause_queue, ["POST"]),
        route("/queues/{queue}/resume", resume_queue, ["POST"]),
        route("/workers", workers, ["GET"]),
        route("/stats", overview, ["GET"]),
    ]
