"""Rendering dashboard pages: one Jinja2 environment with autoescaping always on."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from cargohold.units import format_duration
from cargohold.web.auth import Credentials
from cargohold.web.http import ApiError
from cargohold.web.routing import context
from cargohold.web.views import decoded, progress_json


def template_environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("cargohold.web", "templates"),
        autoescape=True,  # every value is escaped unless a template says otherwise (none do)
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        ago=ago, when=when, duration=duration, pretty=pretty, progress=progress_json
    )
    return environment


def ago(moment: float | None) -> str:
    if moment is None:
        return "-"
    delta = time.time() - moment
    if delta < 0:
        return "in " + format_duration(-delta)
    return format_duration(delta) + " ago"


def when(moment: float | None) -> str:
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(seconds)


def pretty(text: str | None) -> str:
    """Stored JSON, indented for reading (escaped by the template like any other string)."""
    if text is None:
        return ""
    return json.dumps(decoded(text), indent=2, ensure_ascii=False)


def base_path(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def render(request: Request, template: str, code: int = 200, **values: Any) -> Response:
    ctx = context(request)
    assert ctx.templates is not None
    credentials: Credentials | None = getattr(request.state, "credentials", None)
    csrf = ""
    if credentials is not None and credentials.via_cookie and credentials.token:
        csrf = ctx.auth.csrf_token(credentials.token)
    page = ctx.templates.get_template(template).render(
        base=base_path(request),
        path=request.url.path,
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        is_admin=credentials is not None and credentials.is_admin,
        signed_in=credentials is not None and credentials.role is not None,
        csrf=csrf,
        **values,
    )
    return HTMLResponse(page, status_code=code, headers={"Cache-Control": "no-store"})


def error_page(request: Request, error: ApiError) -> Response:
    if error.status == 401:
        return render(request, "login.html", 401, message=error.message, next=request.url.path)
    return render(request, "error.html", error.status, status=error.status, message=error.message)
