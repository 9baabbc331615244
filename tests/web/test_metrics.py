"""`/metrics`: Prometheus text format, read-token protected."""

from __future__ import annotations

from starlette.testclient import TestClient

from cargohold import App
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


def test_metrics_need_a_token(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401
