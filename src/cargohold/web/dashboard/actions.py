"""What the dashboard changes: signing in and out, retrying, cancelling and deleting jobs;
and its static files. Every change is a POST of a form carrying the session's CSRF token."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cargohold.errors import InvalidTransitionError
from cargohold.records import JobFilter
from cargohold.states import JobState
from cargohold.web.auth import SESSION_COOKIE, Access
from cargohold.web.dashboard.render import base_path, render
from cargohold.web.http import ApiError
from cargohold.web.routing import context, endpoint, job_id_param

SESSION_SECONDS = 12 * 3600
MAX_SELECTED = 500
STATIC_FILES = {"dashboard.css": "text/css", "dashboard.js": "text/javascript"}


def _form_value(request: Request, name: str) -> str:
    values: list[str] = request.state.form.get(name, [])
    return values[0] if values else ""


def _back(request: Request, fallback: str) -> Response:
    """Redirect to the form's `next` page if it is a dashboard page, else to `fallback`."""
    base = base_path(request)
    target = _form_value(request, "next")
    if not target.startswith(f"{base}/dashboard") or "//" in target or "\\" in target:
        target = f"{base}{fallback}"
    return RedirectResponse(target, status_code=303)


@endpoint(Access.PUBLIC, html=True)
def login_form(request: Request) -> Response:
    return render(request, "login.html", message=None, next=request.query_params.get("next", ""))


@endpoint(Access.PUBLIC, html=True)
def login(request: Request) -> Response:
    token = _form_value(request, "token").strip()
    auth = context(request).auth
    if not token or not token.isascii() or auth.role_of(token) is None:
        return render(request, "login.html", 400, message="That token is not valid.", next="")
    response = _back(request, "/dashboard")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path=f"{base_path(request)}/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@endpoint(Access.PUBLIC, html=True)
def logout(request: Request) -> Response:
    response = RedirectResponse(f"{base_path(request)}/dashboard/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=f"{base_path(request)}/")
    return response


@endpoint(Access.ADMIN, html=True)
def retry(request: Request) -> Response:
    job_id = job_id_param(request)
    store = context(request).app.store
    store.retry(job_id, store.now())
    return _back(request, f"/dashboard/jobs/{job_id}")


@endpoint(Access.ADMIN, html=True)
def cancel(request: Request) -> Response:
    job = context(request).app.job(job_id_param(request))
    if not job.cancel("cancelled from the dashboard"):
        raise InvalidTransitionError(f"job {job.id} has already finished: {job.state}")
    return _back(request, f"/dashboard/jobs/{job.id}")


@endpoint(Access.ADMIN, html=True)
def delete(request: Request) -> Response:
    store = context(request).app.store
    store.delete_job(job_id_param(request))
    return RedirectResponse(f"{base_path(request)}/dashboard/jobs", status_code=303)


@endpoint(Access.ADMIN, html=True)
def bulk(request: Request) -> Response:
    """Retry or cancel the jobs ticked on the jobs page; those not in a fitting state are left."""
    action = _form_value(request, "action")
    if action not in ("retry", "cancel"):
        raise ApiError(400, "the bulk action must be retry or cancel")
    ids = tuple(dict.fromkeys(request.state.form.get("ids", [])))[:MAX_SELECTED]
    app = context(request).app
    store = app.store
    for record in store.find_jobs(JobFilter(ids=ids, limit=max(len(ids), 1))) if ids else []:
        try:
            if action == "retry" and record.state in (JobState.FAILED, JobState.CANCELLED):
                store.retry(record.id, store.now())
            elif action == "cancel" and not record.state.is_terminal:
                store.cancel(record.id, "cancelled from the dashboard", store.now())
        except InvalidTransitionError:  # changed meanwhile
            continue
    return _back(request, "/dashboard/jobs")


@endpoint(Access.ADMIN, html=True)
def retry_failed(request: Request) -> Response:
    store = context(request).app.store
    failed = store.find_jobs(JobFilter(states=(JobState.FAILED,), limit=MAX_SELECTED))
    for record in failed:
        try:
            store.retry(record.id, store.now())
        except InvalidTransitionError:
            continue
    return _back(request, "/dashboard/failures")


@endpoint(Access.PUBLIC)
def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC_FILES:
        raise ApiError(404, "no such file")
    content = (resources.files("cargohold.web") / "static" / name).read_bytes()
    return Response(
        content,
        media_type=STATIC_FILES[name],
        headers={"Cache-Control": "public, max-age=300"},
    )
