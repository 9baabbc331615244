"""How the CLI prints: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from cargohold.line import Place
from cargohold.records import JobRecord
from cargohold.units import format_duration


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h).upper() for h in headers]] + [
        ["" if v is None else str(v) for v in r] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def ago(moment: float | None, now: float | None = None) -> str:
    if moment is None:
        return "-"
    delta = (time.time() if now is None else now) - moment
    if delta < 0:
        return "in " + format_duration(-delta)
    return format_duration(delta) + " ago"


def progress_text(job: JobRecord) -> str:
    if job.progress_current is None:
        return ""
    if job.progress_total:
        text = f"{job.progress_current:g}/{job.progress_total:g}"
    else:
        text = f"{job.progress_current:g}"
    return f"{text} {job.progress_message}" if job.progress_message else text


def job_as_dict(job: JobRecord) -> dict[str, Any]:
    return {
        "id": job.id,
        "task": job.task,
        "queue": job.queue,
        "state": str(job.state),
        "priority": job.priority,
        "args": json.loads(job.args) if _is_json(job.args) else job.args,
        "key": job.key,
        "attempt": job.attempt,
        "max_attempts": job.max_attempts,
        "run_at": job.run_at,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "worker_id": job.worker_id,
        "progress": None
        if job.progress_current is None
        else {
            "current": job.progress_current,
            "total": job.progress_total,
            "message": job.progress_message,
        },
        "result": json.loads(job.result) if job.result is not None else None,
        "error": job.error,
        "traceback": job.traceback,
    }


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def place_as_dict(place: Place) -> dict[str, Any]:
    """A waiting job's place in line, with the keys of the HTTP API's `GET /jobs/{id}`."""
    found = place.estimate
    eta = None
    if found.seconds is not None and place.start_at is not None:
        eta = {"seconds": round(found.seconds, 1), "at": round(place.start_at, 1)}
    return {
        "position": place.position,
        "eta": eta,
        "eta_confidence": str(found.confidence),
        "eta_basis": found.basis,
        "waiting": place.reason,
    }
