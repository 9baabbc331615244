"""Deleting a job: the admin API's DELETE on /jobs/{id}, and the dashboard's button."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from cargohold import App, JobState
from cargohold.errors import JobNotFoundError
from tests.web.conftest import ADMIN, ADMIN_TOKEN, READ, Finish

MISSING = "01ZZZZZZZZZZZZZZZZZZZZZZZZ"


def test_delete_a_waiting_or_finished_job(client: TestClient, app: App, finish: Finish) -> None:
    waiting = app.tasks["echo"].options(delay="1h").enqueue("x")
    done = app.tasks["echo"].enqueue("y")
    finish(done)
    for job, state in ((waiting, "scheduled"), (done, "succeeded")):
        response = client.delete(f"/jobs/{job.id}", headers=ADMIN)
        assert response.status_code == 200, response.text
        assert (response.json()["id"], response.json()["state"]) == (job.id, state)
        assert client.get(f"/jobs/{job.id}", headers=READ).status_code == 404
        assert client.get(f"/jobs/{job.id}/events", headers=READ).status_code == 404


def test_delete_refuses_a_running_job_and_says_what_to_do(client: TestClient, app: App) -> None:
    job = app.tasks["echo"].enqueue("x")
    app.store.claim("host:9:test", None, 1, 30.0, app.store.now())
    response = client.delete(f"/jobs/{job.id}", headers=ADMIN)
    assert response.status_code == 409
    assert "running; cancel it first" in response.json()["error"]
    assert job.refresh().state == JobState.RUNNING


def test_delete_an_unknown_job_or_without_an_admin_token(client: TestClient, app: App) -> None:
    assert client.delete(f"/jobs/{MISSING}", headers=ADMIN).status_code == 404
    assert client.delete("/jobs/not%20an%20id", headers=ADMIN).status_code == 404
    job = app.tasks["echo"].enqueue("x")
    assert client.delete(f"/jobs/{job.id}", headers=READ).status_code == 403
    assert client.delete(f"/jobs/{job.id}").status_code == 401
    assert job.refresh().state == JobState.QUEUED


def test_the_dashboard_delete_button(client: TestClient, app: App) -> None:
    job = app.tasks["echo"].enqueue("x")
    client.post("/dashboard/login", data={"token": ADMIN_TOKEN, "next": ""})
    page = client.get(f"/dashboard/jobs/{job.id}").text
    form = re.search(rf'action="/dashboard/jobs/{job.id}/delete".*?value="([0-9a-f]+)"', page, re.S)
    assert form is not None, page
    assert client.post(f"/dashboard/jobs/{job.id}/delete").status_code == 403  # no CSRF token
    done = client.post(
        f"/dashboard/jobs/{job.id}/delete", data={"csrf": form.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/jobs"
    try:
        job.refresh()
        raise AssertionError("the job still exists")
    except JobNotFoundError:
        pass


def test_a_running_job_has_no_delete_button(client: TestClient, app: App) -> None:
    job = app.tasks["echo"].enqueue("x")
    app.store.claim("host:9:test", None, 1, 30.0, app.store.now())
    client.post("/dashboard/login", data={"token": ADMIN_TOKEN, "next": ""})
    page = client.get(f"/dashboard/jobs/{job.id}").text
    assert "/delete" not in page and "Cancel" in page
