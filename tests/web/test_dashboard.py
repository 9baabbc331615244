"""Dashboard pages rendered by the server: sign-in, sessions, CSRF, escaping, headers."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from cargohold import App, JobState
from cargohold.web.auth import SESSION_COOKIE
from tests.web.conftest import ADMIN_TOKEN, READ, READ_TOKEN, Finish

SCRIPT = "<img src=x onerror=alert(1)>"
PAGES = [
    "/dashboard",
    "/dashboard/queues",
    "/dashboard/jobs",
    "/dashboard/failures",
    "/dashboard/workers",
]


def sign_in(client: TestClient, token: str) -> str:
    """Sign in through the form; returns the CSRF token the pages carry."""
    response = client.post(
        "/dashboard/login", data={"token": token, "next": ""}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    page = client.get("/dashboard/jobs").text
    found = re.search(r'name="csrf" value="([0-9a-f]*)"', page)
    assert found is not None
    return found.group(1)


def test_every_page_renders_with_a_strict_content_security_policy(
    client: TestClient, app: App, finish: Finish
) -> None:
    failed = app.tasks["explode"].enqueue("disk full")
    done = app.tasks["render"].enqueue(2)
    finish(failed, done)
    for path in [*PAGES, f"/dashboard/jobs/{failed.id}", f"/dashboard/jobs/{done.id}"]:
        response = client.get(path, headers=READ)
        assert response.status_code == 200, (path, response.text[:300])
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "<script>" not in response.text and " style=" not in response.text
    overview = client.get("/dashboard", headers=READ).text
    assert "disk full" in overview
    detail = client.get(f"/dashboard/jobs/{failed.id}", headers=READ).text
    assert "ValueError: disk full" in detail  # the traceback


def test_pages_ask_for_a_token_and_the_login_form_sets_a_session(client: TestClient) -> None:
    anonymous = client.get("/dashboard")
    assert anonymous.status_code == 401
    assert 'name="token"' in anonymous.text
    wrong = client.post("/dashboard/login", data={"token": "x" * 30})
    assert wrong.status_code == 400
    assert "not valid" in wrong.text
    sign_in(client, READ_TOKEN)
    assert client.get("/dashboard").status_code == 200
    assert client.get("/stats").status_code == 200  # reads may use the session too
    client.post("/dashboard/logout")
    assert client.get("/dashboard").status_code == 401


def test_a_read_only_session_sees_no_actions_and_cannot_act(client: TestClient, app: App) -> None:
    job = app.tasks["echo"].enqueue("x")
    csrf = sign_in(client, READ_TOKEN)
    page = client.get(f"/dashboard/jobs/{job.id}").text
    assert "Cancel" not in page
    refused = client.post(f"/dashboard/jobs/{job.id}/cancel", data={"csrf": csrf})
    assert refused.status_code == 403
    assert job.refresh().state == JobState.QUEUED


def test_admin_actions_need_the_session_csrf_token(client: TestClient, app: App) -> None:
    job = app.tasks["echo"].enqueue("x")
    csrf = sign_in(client, ADMIN_TOKEN)
    for presented in ({}, {"csrf": "0" * 64}):
        refused = client.post(f"/dashboard/jobs/{job.id}/cancel", data=presented)
        assert refused.status_code == 403
        assert "CSRF" in refused.text
    assert job.refresh().state == JobState.QUEUED
    done = client.post(
        f"/dashboard/jobs/{job.id}/cancel", data={"csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/dashboard/jobs/{job.id}"
    assert job.refresh().state == JobState.CANCELLED
    api = client.post(f"/jobs/{job.id}/retry")  # the JSON API through the cookie: CSRF too
    assert api.status_code == 403
    api = client.post(f"/jobs/{job.id}/retry", headers={"X-CSRF-Token": csrf})
    assert api.status_code == 200


def test_bulk_actions_and_redirects_stay_on_the_dashboard(client: TestClient, app: App) -> None:
    jobs = [app.tasks["echo"].enqueue(str(n)) for n in range(3)]
    csrf = sign_in(client, ADMIN_TOKEN)
    response = client.post(
        "/dashboard/jobs/bulk",
        data={
            "csrf": csrf,
            "action": "cancel",
            "ids": [jobs[0].id, jobs[1].id],
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/jobs"
    assert [j.refresh().state for j in jobs] == [JobState.CANCELLED] * 2 + [JobState.QUEUED]
    client.post("/dashboard/jobs/bulk", data={"csrf": csrf, "action": "retry", "ids": [jobs[0].id]})
    assert jobs[0].refresh().state == JobState.QUEUED


@pytest.mark.parametrize("where", ["args", "error", "result", "key", "queue"])
def test_user_supplied_strings_are_escaped(
    client: TestClient, app: App, finish: Finish, where: str
) -> None:
    if where == "args":
        job = app.tasks["echo"].enqueue(SCRIPT)
    elif where == "error":
        job = app.tasks["explode"].enqueue(SCRIPT)
        finish(job)
    elif where == "result":
        job = app.tasks["echo"].enqueue(SCRIPT)
        finish(job)
    elif where == "key":
        job = app.tasks["echo"].options(key=SCRIPT).enqueue("x")
    else:
        job = app.tasks["echo"].options(queue=SCRIPT).enqueue("x")
    for path in [
        f"/dashboard/jobs/{job.id}",
        "/dashboard/jobs",
        "/dashboard",
        "/dashboard/queues",
        "/dashboard/failures",
    ]:
        page = client.get(path, headers=READ).text
        assert SCRIPT not in page, path
    detail = client.get(f"/dashboard/jobs/{job.id}", headers=READ).text
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail


def test_static_files_are_served_from_the_package(client: TestClient) -> None:
    script = client.get("/dashboard/static/dashboard.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "EventSource" in script.text
    assert client.get("/dashboard/static/dashboard.css").status_code == 200
    assert client.get("/dashboard/static/..%2Fapp.py").status_code == 404
    assert client.get("/dashboard/static/app.py").status_code == 404


def test_unknown_job_page_is_a_404_page(client: TestClient) -> None:
    response = client.get("/dashboard/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZZ", headers=READ)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no job has id" in response.text


def test_session_cookie_is_not_readable_by_scripts(client: TestClient) -> None:
    response = client.post("/dashboard/login", data={"token": ADMIN_TOKEN}, follow_redirects=False)
    assert SESSION_COOKIE in response.headers["set-cookie"]
    assert "httponly" in response.headers["set-cookie"].lower()
