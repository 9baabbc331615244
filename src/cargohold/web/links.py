"""Signed status links a web app hands its customers, made without building the web app."""

from __future__ import annotations

from cargohold.errors import ConfigurationError
from cargohold.web.auth import sign_job_id
from cargohold.web.settings import WebSettings, web_env_var


def status_link(job_id: str, *, secret: str | None = None, prefix: str = "") -> str:
    """`{prefix}/jobs/{job_id}/status?sig=...`: a link that shows the job's state, progress
    and public result to whoever holds it. The secret defaults to `CARGOHOLD_WEB_SECRET`,
    which the server must share; `prefix` is where the web app is mounted."""
    if secret is None:
        secret = WebSettings.from_env().secret
    if not secret:
        raise ConfigurationError(
            f"status links need a secret shared with the web server: set {web_env_var('secret')}"
        )
    return f"{prefix.rstrip('/')}/jobs/{job_id}/status?sig={sign_job_id(secret.encode(), job_id)}"
