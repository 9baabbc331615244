"""The OpenAPI 3.1 document of the JSON API, written out by hand so that it says exactly what
the handlers do (the schemathesis test holds them to it)."""

from __future__ import annotations

from typing import Any

from cargohold import __version__
from cargohold.web.api import MAX_BULK, MAX_PAGE, PRIORITY_RANGE
from cargohold.web.schemas import SCHEMAS, TERMINAL, Schema, obj, ref

_JOB_ID = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9A-Za-z_-]{1,100}$"},
}


_QUEUE = {
    "name": "queue",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"},
}


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_LIST_FILTERS = [
    _query("state", {"type": "array", "items": ref("State")}, "only jobs in these states"),
    _query("queue", {"type": "array", "items": {"type": "string"}}, "only these queues"),
    _query("task", {"type": "array", "items": {"type": "string"}}, "only these tasks"),
    _query("key", {"type": "string"}, "the job holding this idempotency key"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "page size"),
    _query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}, "jobs to skip"),
    _query("order", {"type": "string", "enum": ["newest", "oldest"]}, "by creation"),
]


def _reply(description: str, schema: Schema | None = None) -> Schema:
    if schema is None:
        schema = ref("Error")
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _reply("the request is malformed"),
    "401": _reply("no token, or a malformed Authorization header"),
    "403": _reply("the token is wrong, or read-only on an admin route"),
}


def _op(summary: str, ok: Schema, *errors: str, body: Schema | None = None, **more: Any) -> Schema:
    responses: dict[str, Any] = {**ok, **_ERRORS}
    for code in errors:
        responses[code] = _reply(_ERROR_TEXT[code])
    operation: Schema = {"summary": summary, "responses": responses, **more}
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
        responses["413"] = _reply(_ERROR_TEXT["413"])
    return operation


_ERROR_TEXT = {
    "404": "no job has that id",
    "409": "the job is not in a state that allows this",
    "413": "the body or the job's arguments are too large",
    "422": "the task is not registered, or an option is not usable",
    "503": "the store does not answer, or the queue is full (Retry-After: seconds to wait)",
}

_ENQUEUE_BODY = obj(
    ["task"],
    {
        "task": {"type": "string", "minLength": 1, "description": "a registered task name"},
        "args": {"type": "array"},
        "kwargs": {"type": "object"},
        "key": {"type": ["string", "null"], "minLength": 1},
        "delay": {
            "oneOf": [
                {"type": "number", "minimum": 0, "maximum": 315360000},
                {"type": "string", "description": "a duration such as 30s or 10m"},
                {"type": "null"},
            ]
        },
        "priority": {
            "type": ["integer", "null"],
            "minimum": PRIORITY_RANGE[0],
            "maximum": PRIORITY_RANGE[1],
        },
        "queue": {"type": ["string", "null"], "pattern": "\\S"},
    },
    additionalProperties=False,
)
_IDS = {"type": "array", "maxItems": MAX_BULK, "items": {"type": "string"}}
_RETRY_MANY_BODY = {
    "type": "object",
    "properties": {"ids": _IDS, "queues": _IDS, "tasks": _IDS},
}
_PRUNE_BODY = obj(
    ["state", "older_than"],
    {
        "state": {"type": "string", "enum": TERMINAL},
        "older_than": {
            "oneOf": [{"type": "number", "minimum": 0}, {"type": "string"}],
            "description": "seconds, or a duration such as 7d",
        },
    },
)
_OPEN: list[dict[str, list[str]]] = [{}, {"bearer": []}]


def _ok(code: str, description: str, schema: Schema) -> dict[str, Schema]:
    return {code: _reply(description, schema)}


PATHS: dict[str, Any] = {
    "/health": {
        "get": _op(
            "Is the store reachable?", _ok("200", "ok", {"type": "object"}), "503", security=[{}]
        )
    },
    "/jobs": {
        "get": _op(
            "List and search jobs",
            _ok("200", "a page of jobs", ref("JobPage")),
            "503",
            parameters=_LIST_FILTERS,
        ),
        "post": _op(
            "Enqueue a job of a registered task (admin)",
            {
                **_ok("201", "enqueued", ref("EnqueuedJob")),
                **_ok("200", "a job with this key already exists", ref("EnqueuedJob")),
            },
            "422",
            "503",
            body=_ENQUEUE_BODY,
        ),
    },
    "/jobs/retry": {
        "post": _op(
            "Queue failed jobs again, by ids or by queues/tasks (admin)",
            _ok(
                "200",
                "how many were queued again",
                obj(
                    ["retried", "skipped"],
                    {"retried": {"type": "integer"}, "skipped": {"type": "integer"}},
                ),
            ),
            "503",
            body=_RETRY_MANY_BODY,
        )
    },
    "/jobs/prune": {
        "post": _op(
            "Delete finished jobs older than a duration (admin)",
            _ok(
                "200",
                "how many were deleted",
                obj(["deleted"], {"deleted": {"type": "integer"}}),
            ),
            "422",
            "503",
            body=_PRUNE_BODY,
        )
    },
    "/jobs/{job_id}": {
        "get": _op(
            "One job", _ok("200", "the job", ref("Job")), "404", "503", parameters=[_JOB_ID]
        ),
        "delete": _op(
            "Delete a job that is not running, with its events; its key is free again (admin)",
            _ok("200", "the job as it was", ref("Job")),
            "404",
            "409",
            "503",
            parameters=[_JOB_ID],
        ),
    },
    "/jobs/{job_id}/events": {
        "get": _op(
            "The job's audit trail",
            _ok(
                "200",
                "its events",
                obj(["events"], {"events": {"type": "array", "items": ref("Event")}}),
            ),
            "404",
            "503",
            parameters=[_JOB_ID],
        )
    },
    "/jobs/{job_id}/status": {
        "get": _op(
            "Customer-facing status: readable with the job id or a signed link",
            _ok("200", "state, progress and public result", ref("Status")),
            "404",
            "503",
            parameters=[_JOB_ID, _query("sig", {"type": "string"}, "signature of a status link")],
            security=_OPEN,
        )
    },
    "/jobs/{job_id}/widget": {
        "get": {
            "summary": "Customer-facing status as a small HTML page to frame in your own "
            "(reloads itself until the job has finished); readable like the status",
            "parameters": [_JOB_ID, _query("sig", {"type": "string"}, "signature")],
            "security": _OPEN,
            "responses": {
                "200": {
                    "description": "the widget",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
                **_ERRORS,
                "404": _reply(_ERROR_TEXT["404"]),
                "503": _reply(_ERROR_TEXT["503"]),
            },
        }
    },
    "/jobs/{job_id}/stream": {
        "get": {
            "summary": "Live status as server-sent events (event: status), until the job finishes",
            "parameters": [_JOB_ID, _query("sig", {"type": "string"}, "signature")],
            "security": _OPEN,
            "responses": {
                "200": {
                    "description": "an event stream",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                **_ERRORS,
                "404": _reply(_ERROR_TEXT["404"]),
            },
        }
    },
    "/jobs/{job_id}/retry": {
        "post": _op(
            "Queue a failed or cancelled job again (admin)",
            _ok("200", "the job", ref("Job")),
            "404",
            "409",
            "503",
            parameters=[_JOB_ID],
        )
    },
    "/jobs/{job_id}/cancel": {
        "post": _op(
            "Cancel a waiting job, or stop a running one (admin)",
            _ok("200", "the job", ref("Job")),
            "404",
            "409",
            "503",
            parameters=[_JOB_ID],
            requestBody={
                "required": False,
                "content": {
                    "application/json": {"schema": obj([], {"reason": {"type": "string"}})}
                },
            },
        )
    },
    "/queues": {
        "get": _op(
            "Queues: depth, running, oldest wait",
            _ok(
                "200",
                "queues",
                obj(["queues"], {"queues": {"type": "array", "items": ref("Queue")}}),
            ),
            "503",
        )
    },
    "/queues/{queue}/pause": {
        "post": _op(
            "Pause a queue: workers stop claiming from it; running jobs finish (admin)",
            _ok("200", "its switch", ref("QueueSwitch")),
            "503",
            parameters=[_QUEUE],
        )
    },
    "/queues/{queue}/resume": {
        "post": _op(
            "Resume a paused queue (admin)",
            _ok("200", "its switch", ref("QueueSwitch")),
            "503",
            parameters=[_QUEUE],
        )
    },
    "/workers": {
        "get": _op(
            "Workers and the jobs they run",
            _ok(
                "200",
                "workers",
                obj(["workers"], {"workers": {"type": "array", "items": ref("Worker")}}),
            ),
            "503",
        )
    },
    "/stats": {
        "get": _op(
            "Totals by state and queue, throughput",
            _ok(
                "200",
                "stats",
                obj(
                    ["totals", "queues", "workers", "throughput"],
                    {
                        "totals": {"type": "object"},
                        "queues": {"type": "object"},
                        "workers": {"type": "integer"},
                        "throughput": {"type": "array"},
                    },
                ),
            ),
            "503",
        )
    },
}
for _operations in PATHS.values():
    for _operation in _operations.values():
        if "413" in _operation["responses"] or "requestBody" in _operation:
            _operation["responses"].setdefault("413", _reply(_ERROR_TEXT["413"]))


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cargohold",
            "version": __version__,
            "description": "Durable background jobs: enqueue, follow, retry, cancel.",
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
