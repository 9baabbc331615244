"""The dashboard: server-rendered pages on the same app, with a small script and style sheet
served from the package. Reading needs a token (given once at the login form, then kept in an
HttpOnly, SameSite=Strict cookie); actions need an admin token and the session's CSRF token."""

from __future__ import annotations

from starlette.routing import Route

from cargohold.web.dashboard import actions, pages
from cargohold.web.dashboard.render import error_page, template_environment
from cargohold.web.routing import route

__all__ = ["dashboard_routes", "error_page", "template_environment"]


def dashboard_routes() -> list[Route]:
    return [
        route("/dashboard", pages.overview, ["GET"]),
        route("/dashboard/queues", pages.queues, ["GET"]),
        route("/dashboard/jobs", pages.jobs, ["GET"]),
        route("/dashboard/jobs/bulk", actions.bulk, ["POST"]),
        route("/dashboard/jobs/{job_id}", pages.job, ["GET"]),
        route("/dashboard/jobs/{job_id}/retry", actions.retry, ["POST"]),
        route("/dashboard/jobs/{job_id}/cancel", actions.cancel, ["POST"]),
        route("/dashboard/jobs/{job_id}/delete", actions.delete, ["POST"]),
        route("/dashboard/failures", pages.failures, ["GET"]),
        route("/dashboard/failures/retry", actions.retry_failed, ["POST"]),
        route("/dashboard/workers", pages.workers, ["GET"]),
        route("/dashboard/login", actions.login_form, ["GET"]),
        route("/dashboard/login", actions.login, ["POST"]),
        route("/dashboard/logout", actions.logout, ["POST"]),
        route("/dashboard/static/{name}", actions.static, ["GET"]),
    ]
