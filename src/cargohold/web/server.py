"""`cargohold serve`: the web app of an `App` under uvicorn, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import logging

from cargohold.app import App
from cargohold.errors import ConfigurationError
from cargohold.web.app import create_web_app
from cargohold.web.settings import WebSettings, web_env_var

log = logging.getLogger("cargohold.web")

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def serve(app: App, settings: WebSettings) -> None:
    """Serve until interrupted. Refuses to start without any token: every route but the
    customer status and the health check needs one, and admin routes need an admin token."""
    import uvicorn

    if not settings.tokens and not settings.admin_tokens:
        raise ConfigurationError(
            f"no token is configured: set {web_env_var('admin_tokens')} (and optionally "
            f"{web_env_var('tokens')} for read-only access) before serving; generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    if not settings.admin_tokens:
        log.warning(
            "no admin token configured (%s): admin routes answer 403", web_env_var("admin_tokens")
        )
    if settings.host not in LOOPBACK:
        log.warning("serving on %s: reachable from other machines", settings.host)
    if settings.secret is None:
        log.warning(
            "%s is not set: status links and dashboard sessions stop working when the server "
            "restarts",
            web_env_var("secret"),
        )
    web = create_web_app(app, settings=settings)
    uvicorn.run(
        web,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )
