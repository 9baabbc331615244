"""The component schemas of the OpenAPI document: the JSON shapes of `cargohold.web.views`."""

from __future__ import annotations

from typing import Any

from cargohold.eta import Confidence
from cargohold.states import JobState

Schema = dict[str, Any]

STATES = [str(s) for s in JobState]
TERMINAL = [str(s) for s in JobState if s.is_terminal]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str) -> Schema:
    return {"type": [kind, "null"]}


def obj(required: list[str], properties: dict[str, Schema], **more: Any) -> Schema:
    return {"type": "object", "required": required, "properties": properties, **more}


_JOB = obj(
    [
        "id",
        "task",
        "queue",
        "state",
        "priority",
        "args",
        "key",
        "attempt",
        "max_attempts",
        "run_at",
        "created_at",
        "started_at",
        "finished_at",
        "worker_id",
        "progress",
        "result",
        "error",
        "traceback",
        "cancel_requested",
    ],
    {
        "id": {"type": "string"},
        "task": {"type": "string"},
        "queue": {"type": "string"},
        "state": ref("State"),
        "priority": {"type": "integer"},
        "args": {"description": '{"args": [...], "kwargs": {...}} as enqueued'},
        "key": nullable("string"),
        "attempt": {"type": "integer"},
        "max_attempts": {"type": "integer"},
        "run_at": {"type": "number", "description": "seconds since the epoch"},
        "created_at": {"type": "number"},
        "started_at": nullable("number"),
        "finished_at": nullable("number"),
        "worker_id": nullable("string"),
        "progress": {"oneOf": [ref("Progress"), {"type": "null"}]},
        "result": {"description": "the task's return value once it succeeded"},
        "error": nullable("string"),
        "traceback": nullable("string"),
        "cancel_requested": {"type": "boolean"},
        "waiting": {
            "type": ["string", "null"],
            "description": "why a waiting job is not running yet (GET /jobs/{id} only)",
        },
        "position": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "place in its queue's line (GET /jobs/{id} only)",
        },
        "eta": {"oneOf": [ref("Eta"), {"type": "null"}]},
        "eta_confidence": ref("Confidence"),
        "eta_basis": {"type": "string", "description": "how the estimate was reached"},
    },
)

_PLACE: dict[str, Schema] = {
    "position": {
        "type": ["integer", "null"],
        "minimum": 1,
        "description": "1 + the jobs a worker takes before this one; null unless it is "
        "ready and waiting (a job scheduled for later is not in line yet)",
    },
    "eta": {"oneOf": [ref("Eta"), {"type": "null"}]},
    "eta_confidence": ref("Confidence"),
    "waiting": {
        "type": ["string", "null"],
        "description": "why a waiting job is not running yet, in words; null otherwise",
    },
}

SCHEMAS: dict[str, Schema] = {
    "State": {"type": "string", "enum": STATES},
    "Error": obj(["error"], {"error": {"type": "string"}}),
    "Progress": obj(
        ["current", "total", "message", "fraction"],
        {
            "current": {"type": "number"},
            "total": nullable("number"),
            "message": nullable("string"),
            "fraction": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        },
    ),
    "Job": _JOB,
    "EnqueuedJob": {
        "allOf": [
            ref("Job"),
            obj(
                ["created", "status_url"],
                {"created": {"type": "boolean"}, "status_url": {"type": "string"}},
            ),
        ]
    },
    "JobPage": obj(
        ["jobs", "limit", "offset", "next_offset"],
        {
            "jobs": {"type": "array", "items": ref("Job")},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next_offset": nullable("integer"),
        },
    ),
    "Status": obj(
        ["id", "state", "progress", "result", *_PLACE],
        {
            "id": {"type": "string"},
            "state": ref("State"),
            "progress": {"oneOf": [ref("Progress"), {"type": "null"}]},
            "result": {"description": "the public part of the result (result['public'])"},
            **_PLACE,
        },
        additionalProperties=False,
    ),
    "Eta": obj(
        ["seconds", "at"],
        {
            "seconds": {
                "type": "number",
                "minimum": 0,
                "description": "seconds from now until the job should start",
            },
            "at": {"type": "number", "description": "when it should start (epoch seconds)"},
        },
        additionalProperties=False,
    ),
    "Confidence": {
        "type": "string",
        "enum": [str(c) for c in Confidence],
        "description": "none: no estimate (no worker, paused queue, no duration known); "
        "low: few runs seen, or a duration borrowed from another task; medium: each task "
        "ran 3+ times; high: 10+ times, every job ahead seen",
    },
    "Event": obj(
        ["id", "at", "kind", "state", "attempt", "worker_id", "reason"],
        {
            "id": {"type": "integer"},
            "at": {"type": "number"},
            "kind": {"type": "string"},
            "state": ref("State"),
            "attempt": {"type": "integer"},
            "worker_id": nullable("string"),
            "reason": nullable("string"),
        },
    ),
    "Queue": obj(
        ["name", "depth", "scheduled", "running", "oldest_wait", "counts"],
        {
            "name": {"type": "string"},
            "depth": {"type": "integer", "description": "queued jobs"},
            "scheduled": {"type": "integer"},
            "running": {"type": "integer"},
            "oldest_wait": {"type": ["number", "null"], "minimum": 0},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "paused": {"type": "boolean", "description": "workers take nothing from it"},
        },
    ),
    "QueueSwitch": obj(
        ["queue", "paused", "changed"],
        {
            "queue": {"type": "string"},
            "paused": {"type": "boolean"},
            "changed": {"type": "boolean", "description": "false if it already was so"},
        },
    ),
    "Worker": obj(
        ["id", "hostname", "pid", "queues", "concurrency", "started_at", "last_seen", "running"],
        {
            "id": {"type": "string"},
            "hostname": {"type": "string"},
            "pid": {"type": "integer"},
            "queues": {"type": ["array", "null"], "items": {"type": "string"}},
            "concurrency": {"type": "integer"},
            "started_at": {"type": "number"},
            "last_seen": {"type": "number"},
            "running": {"type": "array", "items": {"type": "string"}},
        },
    ),
}
