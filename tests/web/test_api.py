"""The JSON API against a real SQLite store, through Starlette's test client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cargohold import App, JobState
from cargohold.web import WebSettings, create_web_app, status_link
from tests.apps.web_app import build_app
from tests.web.conftest import ADMIN, ADMIN_TOKEN, READ, SECRET, Finish


def enqueue(client: TestClient, **body: object) -> dict[str, object]:
    response = client.post("/jobs", json=body, headers=ADMIN)
    assert response.status_code in (200, 201), response.text
    reply: dict[str, object] = response.json()
    return reply


def test_enqueue_by_task_name_returns_the_job_and_where_to_find_it(client: TestClient) -> None:
    response = client.post(
        "/jobs",
        json={"task": "echo", "args": ["hi"], "key": "evt_1", "priority": 5, "queue": "mail"},
        headers=ADMIN,
    )
    assert response.status_code == 201
    job = response.json()
    assert (job["task"], job["state"], job["queue"], job["priority"]) == (
        "echo",
        "queued",
        "mail",
        5,
    )
    assert job["args"] == {"args": ["hi"], "kwargs": {}}
    assert job["created"] is True
    assert response.headers["location"] == f"/jobs/{job['id']}"
    assert client.get(job["status_url"]).status_code == 200


def test_enqueue_with_a_known_key_returns_the_existing_job(client: TestClient) -> None:
    first = enqueue(client, task="echo", args=["a"], key="stripe:evt_9")
    again = client.post(
        "/jobs", json={"task": "echo", "args": ["b"], "key": "stripe:evt_9"}, headers=ADMIN
    )
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["created"] is False


def test_enqueue_with_delay_schedules_the_job(client: TestClient) -> None:
    assert enqueue(client, task="echo", args=["x"], delay="1h")["state"] == "scheduled"
    assert enqueue(client, task="echo", args=["x"], delay=3600)["state"] == "scheduled"


def test_enqueue_refuses_bad_requests_with_the_reason(client: TestClient) -> None:
    cases = [
        (b"{not json", 400, "not JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b"", 400, "empty"),
        (b'{"task": "echo", "args": "hi"}', 400, "'args' must be a list"),
        (b'{"task": "echo", "colour": "red"}', 400, "unknown field"),
        (b'{"task": "echo", "args": [NaN]}', 400, "NaN"),
        (b'{"task": "echo", "priority": 99999999999999999999}', 400, "priority"),
        (b'{"task": "echo", "priority": true}', 400, "boolean"),
        (b'{"task": "echo", "queue": " "}', 400, "queue"),
        (b'{"task": "echo", "args": ["\\ud800"]}', 400, "Unicode"),
        (b'{"task": "nope"}', 422, "no task is registered under the name 'nope'"),
        (b'{"task": "echo", "delay": "soon"}', 422, "not a duration"),
        (b'{"task": "echo", "key": ""}', 422, "key"),
        (b'{"args": []}', 400, "'task' is required"),
        (b"[" * 100_000 + b"]" * 100_000, 400, ""),
    ]
    for body, status, words in cases:
        response = client.post("/jobs", content=body, headers=ADMIN)
        assert response.status_code == status, (body[:60], response.text)
        assert words in response.json()["error"], (body[:60], response.json())


def test_oversized_bodies_and_payloads_get_413(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARGOHOLD_MAX_PAYLOAD", "1000")
    small = build_app(f"sqlite:///{tmp_path / 'small.db'}")
    web = create_web_app(small, settings=WebSettings(admin_tokens=(ADMIN_TOKEN,), max_body=2000))
    with TestClient(web) as client:
        limit = client.post("/jobs", content=b" " * 2001, headers=ADMIN)
        assert limit.status_code == 413, limit.text
        assert "larger than" in limit.json()["error"]
        payload = {"task": "echo", "args": ["x" * 1500]}
        too_big = client.post("/jobs", json=payload, headers=ADMIN)
        assert too_big.status_code == 413, too_big.text
        assert "payload limit" in too_big.json()["error"]
        fits = client.post("/jobs", json={"task": "echo", "args": ["x" * 900]}, headers=ADMIN)
        assert fits.status_code == 201, fits.text


def test_a_read_only_token_cannot_enqueue(client: TestClient) -> None:
    response = client.post("/jobs", json={"task": "echo", "args": ["x"]}, headers=READ)
    assert response.status_code == 403
    assert "admin" in response.json()["error"]


def test_job_and_its_events(client: TestClient) -> None:
    job = enqueue(client, task="echo", args=["a"])
    response = client.get(f"/jobs/{job['id']}", headers=READ)
    assert response.status_code == 200
    assert response.json()["id"] == job["id"]
    events = client.get(f"/jobs/{job['id']}/events", headers=READ).json()["events"]
    assert [e["kind"] for e in events] == ["enqueued"]
    missing = client.get("/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZZ", headers=READ)
    assert missing.status_code == 404
    assert "no job has id" in missing.json()["error"]
    assert client.get("/jobs/not%20an%20id", headers=READ).status_code == 404


def test_list_jobs_filters_and_pages(client: TestClient) -> None:
    ids = [enqueue(client, task="echo", args=[str(n)])["id"] for n in range(5)]
    enqueue(client, task="render", args=[1], queue="books")
    page = client.get("/jobs?task=echo&limit=2", headers=READ).json()
    assert [j["id"] for j in page["jobs"]] == ids[::-1][:2]
    assert page["next_offset"] == 2
    rest = client.get("/jobs?task=echo&limit=2&offset=4", headers=READ).json()
    assert [j["id"] for j in rest["jobs"]] == ids[:1]
    assert rest["next_offset"] is None
    books = client.get("/jobs?queue=books&state=queued,scheduled", headers=READ).json()["jobs"]
    assert [j["task"] for j in books] == ["render"]
    oldest = client.get("/jobs?order=oldest&limit=1", headers=READ).json()["jobs"]
    assert oldest[0]["id"] == ids[0]
    for bad in ("state=lost", "limit=0", "limit=501", "offset=-1", "limit=x", "order=up"):
        assert client.get(f"/jobs?{bad}", headers=READ).status_code == 400, bad


def test_customer_status_shows_only_state_progress_and_public_result(
    client: TestClient, app: App, finish: Finish
) -> None:
    job = app.tasks["render"].enqueue(3)
    before = client.get(f"/jobs/{job.id}/status")
    assert before.status_code == 200
    assert before.json() == {
        "id": job.id,
        "state": "queued",
        "progress": None,
        "result": None,
        "position": 1,
        "eta": None,
        "eta_confidence": "none",
        "waiting": "no worker is taking jobs from queue 'default'",
    }
    finish(job)
    after = client.get(f"/jobs/{job.id}/status").json()
    assert after["state"] == "succeeded"
    assert after["progress"]["message"] == "page 3 of 3"
    assert after["result"] == {"pdf": "/books/3.pdf"}
    assert (after["position"], after["eta"], after["waiting"]) == (None, None, None)
    assert "internal" not in json.dumps(after)


def test_signed_status_links(app: App) -> None:
    web = create_web_app(
        app, settings=WebSettings(tokens=("r" * 20,), secret=SECRET, signed_status_only=True)
    )
    job = app.tasks["echo"].enqueue("x")
    with TestClient(web) as client:
        link = web.status_link(job.id)
        assert link == status_link(job.id, secret=SECRET)
        assert client.get(link).status_code == 200
        assert client.get(f"/jobs/{job.id}/status").status_code == 401
        forged = client.get(f"/jobs/{job.id}/status?sig=" + "0" * 32)
        assert forged.status_code == 403
        with_token = client.get(
            f"/jobs/{job.id}/status", headers={"Authorization": "Bearer " + "r" * 20}
        )
        assert with_token.status_code == 200


def test_retry_and_cancel_single_jobs(client: TestClient) -> None:
    job = enqueue(client, task="echo", args=["a"])
    assert client.post(f"/jobs/{job['id']}/retry", headers=ADMIN).status_code == 409
    cancelled = client.post(
        f"/jobs/{job['id']}/cancel", json={"reason": "customer refunded"}, headers=ADMIN
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["state"], cancelled.json()["error"]) == (
        "cancelled",
        "customer refunded",
    )
    again = client.post(f"/jobs/{job['id']}/cancel", headers=ADMIN)
    assert again.status_code == 409
    assert "already finished" in again.json()["error"]
    retried = client.post(f"/jobs/{job['id']}/retry", headers=ADMIN)
    assert retried.status_code == 200
    assert retried.json()["state"] == "queued"
    assert client.post("/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZZ/retry", headers=ADMIN).status_code == 404


def test_bulk_retry_queues_failed_jobs_again(client: TestClient, app: App, finish: Finish) -> None:
    failed = [app.tasks["explode"].enqueue(f"boom {n}") for n in range(3)]
    fine = app.tasks["echo"].enqueue("ok")
    finish(*failed, fine)
    assert {job.refresh().state for job in failed} == {JobState.FAILED}
    one = client.post("/jobs/retry", json={"ids": [failed[0].id, fine.id]}, headers=ADMIN)
    assert one.json() == {"retried": 1, "skipped": 1}
    rest = client.post("/jobs/retry", json={"tasks": ["explode"]}, headers=ADMIN)
    assert rest.json() == {"retried": 2, "skipped": 0}
    assert {job.refresh().state for job in failed} == {JobState.QUEUED}
    assert fine.refresh().state == JobState.SUCCEEDED


def test_prune_deletes_old_finished_jobs(client: TestClient, app: App) -> None:
    job = app.tasks["echo"].enqueue("x")
    job.cancel()
    kept = client.post(
        "/jobs/prune", json={"state": "cancelled", "older_than": "1h"}, headers=ADMIN
    )
    assert kept.json() == {"deleted": 0}
    gone = client.post("/jobs/prune", json={"state": "cancelled", "older_than": 0}, headers=ADMIN)
    assert gone.json() == {"deleted": 1}
    bad = client.post("/jobs/prune", json={"state": "queued", "older_than": 0}, headers=ADMIN)
    assert bad.status_code == 400


def test_queues_workers_and_stats(client: TestClient, app: App, finish: Finish) -> None:
    done = app.tasks["echo"].enqueue("x")
    finish(done)
    app.tasks["echo"].enqueue("y")
    app.tasks["render"].options(queue="books", delay="1h").enqueue(2)
    queues = {q["name"]: q for q in client.get("/queues", headers=READ).json()["queues"]}
    assert queues["default"]["depth"] == 1
    assert queues["default"]["oldest_wait"] >= 0
    assert queues["default"]["counts"]["succeeded"] == 1
    assert (queues["books"]["depth"], queues["books"]["scheduled"]) == (0, 1)
    assert queues["books"]["oldest_wait"] is None
    stats = client.get("/stats", headers=READ).json()
    assert stats["totals"]["queued"] == 1
    assert stats["totals"]["succeeded"] == 1
    assert sum(b["succeeded"] for b in stats["throughput"]) == 1
    assert client.get("/workers", headers=READ).json() == {"workers": []}


def test_stream_sends_the_status_and_ends_when_the_job_is_finished(
    client: TestClient, app: App
) -> None:
    job = app.tasks["echo"].enqueue("x")
    job.cancel()
    with client.stream("GET", f"/jobs/{job.id}/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    data = [line[len("data: ") :] for line in text.splitlines() if line.startswith("data: ")]
    assert [json.loads(d)["state"] for d in data] == ["cancelled"]


def test_errors_are_json_and_responses_carry_security_headers(client: TestClient) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no such route"}
    wrong_method = client.delete("/queues", headers=READ)
    assert wrong_method.status_code == 405
    assert "not allowed" in wrong_method.json()["error"]
    health = client.get("/health")
    assert health.json() == {"status": "ok"}
    assert "script-src 'self'" in health.headers["content-security-policy"]
    assert health.headers["x-content-type-options"] == "nosniff"
    assert health.headers["referrer-policy"] == "no-referrer"
