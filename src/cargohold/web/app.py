"""`create_web_app`: the HTTP API, dashboard and metrics of one cargohold `App`, as a
Starlette (ASGI) application to run alone (`cargohold serve`) or mount in another app."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cargohold.app import App
from cargohold.errors import ConfigurationError
from cargohold.web.api import api_routes
from cargohold.web.auth import Access, Authenticator
from cargohold.web.http import ApiError, json_error
from cargohold.web.openapi import openapi_document
from cargohold.web.routing import ErrorPage, WebContext, access_of, endpoint, route
from cargohold.web.settings import WebSettings
from cargohold.web.views import PublicResult, default_public_result

BODY_OVERHEAD = 64 * 1024
"""Room in a request body beyond the job's arguments (field names, key, options)."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class CargoholdWeb(Starlette):
    """The Starlette app `create_web_app` returns; `status_link(job_id)` makes signed links."""

    def status_link(self, job_id: str) -> str:
        """The path (relative to where this app is mounted) of a job's signed status link."""
        context: WebContext = self.state.cargohold
        return f"/jobs/{job_id}/status?sig={context.auth.sign(job_id)}"


class SecurityHeaders:
    """Adds the Content-Security-Policy and its companions to every response. A response
    with a policy of its own (the status widget, which any site may frame) keeps it, and
    gets no X-Frame-Options."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                if b"content-security-policy" in present:  # its own policy decides framing
                    present.add(b"x-frame-options")
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


@endpoint(Access.READ)
def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


def create_web_app(
    app: App,
    *,
    tokens: Sequence[str] | None = None,
    admin_tokens: Sequence[str] | None = None,
    secret: str | None = None,
    settings: WebSettings | None = None,
    public_result: PublicResult = default_public_result,
    dashboard: bool = True,
) -> CargoholdWeb:
    """The web app of `app`. Tokens and the signing secret come from the arguments, else
    from `CARGOHOLD_WEB_TOKENS`, `CARGOHOLD_WEB_ADMIN_TOKENS` and `CARGOHOLD_WEB_SECRET`.

    `public_result(job)` decides what a customer sees of a succeeded job's result (default:
    `result["public"]` when the result is a dict, else nothing).
    """
    if settings is None:
        settings = WebSettings.from_env(
            tokens=None if tokens is None else tuple(tokens),
            admin_tokens=None if admin_tokens is None else tuple(admin_tokens),
            secret=secret,
        )
    elif tokens is not None or admin_tokens is not None or secret is not None:
        raise ConfigurationError("give settings= or tokens/admin_tokens/secret, not both")
    from cargohold.web.dashboard.render import template_environment
    from cargohold.web.widget import widget_routes

    routes: list[BaseRoute] = [
        *api_routes(),
        *widget_routes(),
        route("/openapi.json", openapi, ["GET"]),
    ]
    page: ErrorPage | None = None
    if dashboard:
        from cargohold.web.dashboard import dashboard_routes, error_page

        routes += dashboard_routes()
        page = error_page
    from cargohold.web.metrics import metrics_routes

    routes += metrics_routes()
    _check_declared(routes)
    web = CargoholdWeb(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: _http_error},
    )
    web.state.cargohold = WebContext(
        app=app,
        settings=settings,
        auth=Authenticator(settings),
        public_result=public_result,
        max_body=settings.max_body or app.settings.max_payload + BODY_OVERHEAD,
        templates=template_environment(),
        error_page=page,
    )
    return web


def _check_declared(routes: list[BaseRoute]) -> None:
    for item in routes:
        if not isinstance(item, Route) or access_of(item.endpoint) is None:
            raise ConfigurationError(f"route {item!r} declares no access level")


async def _http_error(request: Request, error: Any) -> Response:
    status = getattr(error, "status_code", 500)
    messages = {404: "no such route", 405: f"method {request.method} is not allowed here"}
    api_error = ApiError(status, messages.get(status, str(getattr(error, "detail", "error"))))
    context: WebContext = request.app.state.cargohold
    if context.error_page is not None and "/dashboard" in request.url.path:
        return context.error_page(request, api_error)
    response = json_error(api_error)
    if status == 405 and getattr(error, "headers", None):
        response.headers.update(error.headers)
    return response
