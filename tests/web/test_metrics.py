"""`/metrics`: Prometheus text format, read-token protected."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from cargohold import App
from cargohold.outcome import MemoryKilled, Retrying
from cargohold.records import Ack
from tests.web.conftest import READ, Finish


def samples(text: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def test_metrics_count_jobs_by_queue_and_state(
    client: TestClient, app: App, finish: Finish
) -> None:
    done = app.tasks["echo"].enqueue("x")
    finish(done)
    app.tasks["echo"].enqueue("y")
    app.tasks["echo"].options(queue='odd "queue"\nname').enqueue("z")
    response = client.get("/metrics", headers=READ)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    values = samples(response.text)
    assert values['cargohold_jobs{queue="default",state="succeeded"}'] == 1
    assert values['cargohold_jobs{queue="default",state="queued"}'] == 1
    assert values['cargohold_jobs{queue="odd \\"queue\\"\\nname",state="queued"}'] == 1
    assert values['cargohold_queue_oldest_wait_seconds{queue="default"}'] >= 0
    assert values["cargohold_workers"] == 0
    assert "# TYPE cargohold_jobs gauge" in response.text


def test_metrics_export_durations_waits_retries_and_memory_kills(
    client: TestClient, app: App, finish: Finish
) -> None:
    # Given: two jobs run by a real worker, and one whose attempts were retried and killed
    # for memory (acked here as a worker would, to have both without a flaky task).
    finish(app.tasks["render"].enqueue(2, 0.2), app.tasks["echo"].enqueue("x"))
    store = app.store
    troubled = app.tasks["render"].enqueue(1)
    for outcome in (Retrying(0, "timeout"), MemoryKilled(0, "over its reservation", 10**9)):
        [claim] = store.claim("host:9:test", None, 1, 30, time.time())
        store.ack("host:9:test", [Ack(troubled.id, claim.lease_token, outcome)], time.time())
    # When: Prometheus scrapes.
    text = client.get("/metrics", headers=READ).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    # Then: the official parser reads every family, with the right types...
    assert families["cargohold_job_duration_seconds"].type == "histogram"
    assert families["cargohold_job_wait_seconds"].type == "histogram"
    assert families["cargohold_job_retries"].type == "counter"
    assert families["cargohold_job_memory_kills"].type == "counter"
    values = samples(text)
    # ...durations by task: render slept 2 x 0.2 s, so it is not under 0.1 s but under 0.5 s...
    assert values['cargohold_job_duration_seconds_count{task="render"}'] == 1
    assert values['cargohold_job_duration_seconds_bucket{task="render",le="0.1"}'] == 0
    assert values['cargohold_job_duration_seconds_bucket{task="render",le="+Inf"}'] == 1
    assert 0.4 <= values['cargohold_job_duration_seconds_sum{task="render"}'] < 5
    assert values['cargohold_job_duration_seconds_count{task="echo"}'] == 1
    # ...waits by queue, of the jobs that started (the troubled one waits again)...
    assert values['cargohold_job_wait_seconds_count{queue="default"}'] == 2
    # ...and retries and memory kills by task.
    assert values['cargohold_job_retries_total{task="render"}'] == 1
    assert values['cargohold_job_memory_kills_total{task="render"}'] == 1


def test_metrics_need_a_token(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401
