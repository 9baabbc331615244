"""Routes that declare who may call them, and the guard that enforces it.

`@endpoint(Access.READ)` marks a handler; `route(...)` wraps it so that, before it runs, the
caller is authenticated, a body is read within the size limit, and a cookie-borne change
carries its CSRF token. Errors become JSON (or an HTML page for dashboard routes).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cargohold.web.auth import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, Access, Authenticator
from cargohold.web.http import ApiError, as_api_error, json_error, read_body
from cargohold.web.settings import WebSettings
from cargohold.web.views import PublicResult

if TYPE_CHECKING:
    from jinja2 import Environment

    from cargohold.app import App

Handler = Callable[[Request], Response] | Callable[[Request], Awaitable[Response]]
H = TypeVar("H", bound=Callable[..., Any])
ErrorPage = Callable[[Request, ApiError], Response]

_JOB_ID = re.compile(r"[0-9A-Za-z_-]{1,100}")


@dataclass(frozen=True, slots=True)
class WebContext:
    """Everything a handler needs, stored on the Starlette app's state."""

    app: App
    settings: WebSettings
    auth: Authenticator
    public_result: PublicResult
    max_body: int
    templates: Environment | None = None
    error_page: ErrorPage | None = None


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.cargohold
    return ctx


def endpoint(access: Access, *, html: bool = False) -> Callable[[H], H]:
    """Declare who may call a handler (and whether its errors are HTML pages)."""

    def mark(handler: H) -> H:
        handler.access = access  # type: ignore[attr-defined]
        handler.html = html  # type: ignore[attr-defined]
        return handler

    return mark


def access_of(handler: object) -> Access | None:
    access = getattr(handler, "access", None)
    return access if isinstance(access, Access) else None


def route(path: str, handler: Handler, methods: list[str]) -> Route:
    """A Starlette route running `handler` behind its declared access level."""
    access = access_of(handler)
    if access is None:
        name = getattr(handler, "__name__", repr(handler))
        raise TypeError(f"handler {name} declares no access level: decorate it with @endpoint")
    html = bool(getattr(handler, "html", False))
    is_async = inspect.iscoroutinefunction(handler)

    async def guarded(request: Request) -> Response:
        try:
            ctx = context(request)
            credentials = ctx.auth.require(request, access)
            request.state.credentials = credentials
            if request.method not in SAFE_METHODS:
                body = await read_body(request, ctx.max_body)
                request.state.body = body
                request.state.form = _form(request, body)
                presented = request.headers.get(CSRF_HEADER) or _first(
                    request.state.form, CSRF_FIELD
                )
                ctx.auth.check_csrf(credentials, presented)
            if is_async:
                return await handler(request)  # type: ignore[no-any-return, misc]
            return await run_in_threadpool(handler, request)  # type: ignore[arg-type]
        except Exception as error:  # every failure becomes a clear answer, never a stack trace
            api_error = as_api_error(error)
            page = context(request).error_page if html else None
            return page(request, api_error) if page is not None else json_error(api_error)

    guarded.__name__ = getattr(handler, "__name__", "endpoint")
    guarded.access = access  # type: ignore[attr-defined]
    return Route(path, guarded, methods=methods, name=guarded.__name__)


def _form(request: Request, body: bytes) -> dict[str, list[str]]:
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        try:
            return parse_qs(body.decode(), keep_blank_values=True, max_num_fields=2000)
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "the form data is not valid") from None
    return {}


def _first(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


def job_id_param(request: Request) -> str:
    """The `{job_id}` of the path; 404 at once if it cannot be a job id."""
    job_id: str = request.path_params["job_id"]
    if not _JOB_ID.fullmatch(job_id):
        raise ApiError(404, f"no job has id {job_id!r}")
    return job_id
