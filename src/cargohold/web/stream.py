"""Live progress as server-sent events: the job is read again every `stream_interval`
seconds and its public status sent whenever it changes; the stream ends when the job does."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from cargohold.errors import JobNotFoundError
from cargohold.line import place_in_line
from cargohold.records import JobRecord
from cargohold.web.routing import context
from cargohold.web.views import status_json

KEEPALIVE = 15.0
MAX_STREAM = 3600.0
"""A stream closes after this long; the browser's EventSource reconnects by itself."""


async def stream_status(request: Request, job_id: str) -> StreamingResponse:
    ctx = context(request)
    store = ctx.app.store
    first = await run_in_threadpool(store.get_job, job_id)
    if first is None:
        raise JobNotFoundError(f"no job has id {job_id!r}")
    interval = ctx.settings.stream_interval

    async def events() -> AsyncIterator[str]:
        record: JobRecord | None = first
        sent = ""
        quiet_since = started = time.monotonic()
        yield f"retry: {int(max(interval, 1.0) * 2000)}\n\n"
        while record is not None:
            place = await run_in_threadpool(place_in_line, store, record, public=True)
            status = status_json(record, ctx.public_result, place)
            payload = json.dumps(status, separators=(",", ":"))
            if payload != sent:
                yield f"event: status\ndata: {payload}\n\n"
                sent, quiet_since = payload, time.monotonic()
            elif time.monotonic() - quiet_since > KEEPALIVE:
                yield ": still here\n\n"
                quiet_since = time.monotonic()
            if record.state.is_terminal or time.monotonic() - started > MAX_STREAM:
                return
            await anyio.sleep(interval)
            record = await run_in_threadpool(store.get_job, job_id)
        yield 'event: gone\ndata: {"error":"the job no longer exists"}\n\n'

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
