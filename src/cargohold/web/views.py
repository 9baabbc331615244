"""How jobs, events and workers look in JSON: the shapes the OpenAPI document describes."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from cargohold.line import Place
from cargohold.records import Event, JobRecord, WorkerInfo

PublicResult = Callable[[JobRecord], Any]
"""Turns a finished job into what a customer may see of its result (JSON)."""


def default_public_result(job: JobRecord) -> Any:
    """Only `result["public"]`, when a task returns a dict with that key; else nothing.
    A task opts in to show a customer something: `return {"public": {"pdf": url}, ...}`."""
    value = decoded(job.result)
    if isinstance(value, dict):
        return value.get("public")
    return None


def decoded(text: str | None) -> Any:
    """A stored JSON value, or the raw text if it somehow is not JSON."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def progress_json(job: JobRecord) -> dict[str, Any] | None:
    current = finite(job.progress_current)
    if current is None:
        return None
    total = finite(job.progress_total)
    fraction = min(max(current / total, 0.0), 1.0) if total else None
    return {
        "current": current,
        "total": total,
        "message": job.progress_message,
        "fraction": fraction,
    }


def job_json(job: JobRecord) -> dict[str, Any]:
    return {
        "id": job.id,
        "task": job.task,
        "queue": job.queue,
        "state": str(job.state),
        "priority": job.priority,
        "args": decoded(job.args),
        "key": job.key,
        "attempt": job.attempt,
        "max_attempts": job.max_attempts,
        "run_at": job.run_at,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "worker_id": job.worker_id,
        "progress": progress_json(job),
        "result": decoded(job.result),
        "error": job.error,
        "traceback": job.traceback,
        "cancel_requested": job.cancel_requested,
    }


def status_json(job: JobRecord, public_result: PublicResult, place: Place) -> dict[str, Any]:
    """What a customer holding the id or a signed link sees: nothing about the arguments,
    the error or the machines; where a waiting job stands and when it should start."""
    return {
        "id": job.id,
        "state": str(job.state),
        "progress": progress_json(job),
        "result": _json_safe(public_result(job)) if job.state == "succeeded" else None,
        **place_json(place),
    }


def place_json(place: Place) -> dict[str, Any]:
    seconds = place.estimate.seconds
    eta = None
    if seconds is not None and place.start_at is not None:
        eta = {"seconds": round(seconds, 1), "at": round(place.start_at, 1)}
    return {
        "position": place.position,
        "eta": eta,
        "eta_confidence": str(place.estimate.confidence),
        "waiting": place.reason,
    }


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return value


def event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at,
        "kind": event.kind,
        "state": str(event.state),
        "attempt": event.attempt,
        "worker_id": event.worker_id,
        "reason": event.reason,
    }


def worker_json(worker: WorkerInfo, running: list[str]) -> dict[str, Any]:
    return {
        "id": worker.id,
        "hostname": worker.hostname,
        "pid": worker.pid,
        "queues": list(worker.queues) if worker.queues is not None else None,
        "concurrency": worker.concurrency,
        "started_at": worker.started_at,
        "last_seen": worker.last_seen,
        "running": running,
    }
