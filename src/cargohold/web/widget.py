"""The status widget: a small HTML page about one job, for a web app to show its customer in
an <iframe> ("You are number 3, about 6 minutes"). It is read like the JSON status (the job id,
or a signed link), may be framed by any site, runs no script, and reloads itself every few
seconds until the job has finished."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cargohold.line import Place, place_in_line
from cargohold.records import JobRecord
from cargohold.states import JobState
from cargohold.web.auth import Access
from cargohold.web.routing import context, endpoint, job_id_param, route
from cargohold.web.views import progress_json

REFRESH_SECONDS = 5
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors *"
)
_ENDED = {
    JobState.SUCCEEDED: "Done",
    JobState.FAILED: "It failed",
    JobState.CANCELLED: "Cancelled",
}


@dataclass(frozen=True, slots=True)
class Words:
    headline: str
    detail: str | None


def about(seconds: float) -> str:
    """A duration the way a person says it: "a few seconds", "about 40 seconds",
    "about 6 minutes", "about 2 hours"."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 55:
        return f"about {round(seconds / 5) * 5} seconds"
    minutes = round(seconds / 60)
    if minutes < 60:
        return "about 1 minute" if minutes == 1 else f"about {minutes} minutes"
    hours = round(seconds / 3600, 1)
    return "about 1 hour" if hours == 1 else f"about {hours:g} hours"


def words(job: JobRecord, place: Place) -> Words:
    """What the widget says about `job`."""
    if job.state in _ENDED:
        return Words(_ENDED[job.state], None)
    if job.state == JobState.RUNNING:
        progress = progress_json(job)
        if progress is None:
            return Words("Running", None)
        fraction = progress["fraction"]
        percent = f"{fraction:.0%}" if fraction is not None else None
        return Words(f"Running, {percent} done" if percent else "Running", progress["message"])
    seconds = place.estimate.seconds
    eta = None if seconds is None else about(seconds)
    if place.position is None:
        return Words(f"Scheduled, {eta}" if eta else "Scheduled", place.reason)
    where = "You are next" if place.position == 1 else f"You are number {place.position}"
    return Words(f"{where}, {eta}" if eta else where, place.reason)


@endpoint(Access.STATUS)
def widget(request: Request) -> Response:
    ctx = context(request)
    record = ctx.app.job(job_id_param(request)).record
    place = place_in_line(ctx.app.store, record, public=True)
    said = words(record, place)
    assert ctx.templates is not None
    page = ctx.templates.get_template("widget.html").render(
        base=str(request.scope.get("root_path", "")).rstrip("/"),
        job=record,
        words=said,
        progress=progress_json(record),
        refresh=None if record.state.is_terminal else REFRESH_SECONDS,
    )
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": CONTENT_SECURITY_POLICY}
    return HTMLResponse(page, headers=headers)


@endpoint(Access.PUBLIC)
def widget_css(request: Request) -> Response:
    content = (resources.files("cargohold.web") / "static" / "widget.css").read_bytes()
    return Response(
        content, media_type="text/css", headers={"Cache-Control": "public, max-age=300"}
    )


def widget_routes() -> list[Route]:
    return [
        route("/jobs/{job_id}/widget", widget, ["GET"]),
        route("/widget.css", widget_css, ["GET"]),
    ]
