"""The HTTP API's flow control: a full queue answers 503 with Retry-After, an admin pauses
and resumes a queue, and a waiting job says why it waits."""

from __future__ import annotations

from starlette.testclient import TestClient

from cargohold import App
from tests.web.conftest import ADMIN, READ


def test_enqueue_into_a_full_queue_answers_503_with_retry_after(
    app: App, client: TestClient
) -> None:
    app.queue("default", max_depth=2, retry_after="42s")
    for n in range(2):
        assert (
            client.post("/jobs", json={"task": "echo", "args": [n]}, headers=ADMIN).status_code
            == 201
        )
    refused = client.post("/jobs", json={"task": "echo", "args": ["x"]}, headers=ADMIN)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "42"
    assert "queue 'default' is full" in refused.json()["error"]
    listed = client.get("/jobs", headers=READ).json()["jobs"]
    assert len(listed) == 2, "the refused job was not written"


def test_an_admin_pauses_and_resumes_a_queue(app: App, client: TestClient) -> None:
    job = app.tasks["echo"].enqueue("hi")
    assert client.post("/queues/default/pause", headers=READ).status_code == 403
    paused = client.post("/queues/default/pause", headers=ADMIN)
    assert paused.json() == {"queue": "default", "paused": True, "changed": True}
    queues = client.get("/queues", headers=READ).json()["queues"]
    assert [(q["name"], q["paused"]) for q in queues] == [("default", True)]
    waiting = client.get(f"/jobs/{job.id}", headers=READ).json()["waiting"]
    assert "queue 'default' is paused" in waiting
    page = client.get(f"/dashboard/jobs/{job.id}", headers=READ)
    assert "is paused" in page.text
    resumed = client.post("/queues/default/resume", headers=ADMIN).json()
    assert resumed["changed"] and not resumed["paused"]
    assert not client.post("/queues/default/resume", headers=ADMIN).json()["changed"]
