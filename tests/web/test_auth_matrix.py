"""Every route of the app x every kind of credentials: 401 and 403 exactly where expected.

The routes come from Starlette's own route table, so a route added later is covered at once;
one that declares no access level fails here (and `create_web_app` refuses to build)."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from cargohold import App
from cargohold.web import Access, CargoholdWeb
from cargohold.web.routing import access_of, route
from tests.web.conftest import ADMIN_TOKEN, READ_TOKEN

CREDENTIALS = {
    "none": {},
    "empty": {"Authorization": "Bearer "},
    "malformed": {"Authorization": "Token abc"},
    "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
    "wrong": {"Authorization": "Bearer " + "w" * 32},
    "read-only": {"Authorization": f"Bearer {READ_TOKEN}"},
    "admin": {"Authorization": f"Bearer {ADMIN_TOKEN}"},
}


def expected(access: Access, credentials: str) -> int | None:
    """The status the route must answer, or None for 'anything but 401 and 403'."""
    if access in (Access.PUBLIC, Access.STATUS) or credentials == "admin":
        return None
    if credentials in ("none", "empty", "malformed", "basic"):
        return 401
    if credentials == "wrong":
        return 403
    return 403 if access == Access.ADMIN else None


def path_values(app: App) -> dict[str, str]:
    job = app.tasks["echo"].enqueue("x")
    job.cancel()  # finished: its stream ends at once
    return {"job_id": job.id, "name": "dashboard.css", "queue": "default"}


def concrete(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"the matrix needs a value for a parameter of {path}"
    return path


def routes_of(web: CargoholdWeb) -> list[Route]:
    found = [r for r in web.routes if isinstance(r, Route)]
    assert len(found) == len(web.routes), "every route must be a plain Route with an access level"
    return found


def test_every_route_declares_its_access(web: CargoholdWeb) -> None:
    undeclared = [r.path for r in routes_of(web) if access_of(r.endpoint) is None]
    assert undeclared == []


def test_a_handler_without_a_declaration_is_refused() -> None:
    def sneaky(request: Request) -> Response:
        return JSONResponse({})

    with pytest.raises(TypeError, match="declares no access level"):
        route("/sneaky", sneaky, ["GET"])


def test_auth_matrix(web: CargoholdWeb, client: TestClient, app: App) -> None:
    values = path_values(app)
    checked = 0
    failures = []
    for item in routes_of(web):
        access = access_of(item.endpoint)
        assert access is not None
        for method in sorted((item.methods or set()) - {"HEAD"}):
            url = concrete(item.path, values)
            for name, headers in CREDENTIALS.items():
                response = client.request(method, url, headers=headers, json={})
                want = expected(access, name)
                got = response.status_code
                ok = got == want if want is not None else got not in (401, 403)
                if not ok:
                    failures.append(
                        f"{method} {item.path} [{access}] {name}: {got} {response.text[:80]}"
                    )
                if got in (401, 403) and response.headers["content-type"].startswith(
                    "application/json"
                ):
                    assert "error" in response.json()
                checked += 1
    assert failures == []
    assert checked >= len(CREDENTIALS) * 14


def test_admin_routes_say_why_when_no_admin_token_is_configured(app: App) -> None:
    from cargohold.web import create_web_app

    web = create_web_app(app, tokens=[READ_TOKEN], admin_tokens=[])
    with TestClient(web) as client:
        response = client.post(
            "/jobs", json={"task": "echo"}, headers={"Authorization": f"Bearer {READ_TOKEN}"}
        )
    assert response.status_code == 403
    assert "no admin token is configured" in response.json()["error"]


def test_tokens_are_compared_in_constant_time() -> None:
    import inspect

    from cargohold.web import auth

    source = inspect.getsource(auth.Authenticator.role_of)
    assert "compare_digest" in source and "==" not in source


def test_deleting_a_job_needs_an_admin_token(web: CargoholdWeb) -> None:
    declared = {
        (method, item.path): access_of(item.endpoint)
        for item in routes_of(web)
        for method in item.methods or set()
    }
    assert declared[("DELETE", "/jobs/{job_id}")] == Access.ADMIN
    assert declared[("POST", "/dashboard/jobs/{job_id}/delete")] == Access.ADMIN
    assert declared[("GET", "/jobs/{job_id}/widget")] == Access.STATUS
