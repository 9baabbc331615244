"""A waiting job's place in line over HTTP: the JSON status, the admin view of the job, and
the embeddable status widget."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from cargohold import App
from cargohold.eta import Confidence, Estimate
from cargohold.line import Place
from cargohold.records import WorkerInfo
from cargohold.web.widget import about, words
from tests.web.conftest import READ, Finish


def register_worker(app: App, concurrency: int = 1, queues: tuple[str, ...] | None = None) -> None:
    """A worker's row, as a worker process writes it when it starts (none runs here: the
    jobs stay in line)."""
    now, memory = app.store.now(), 512 * 1024 * 1024
    app.store.register_worker(
        WorkerInfo("host:1:aaaaaa", "host", 1, queues, concurrency, now, now, memory, memory)
    )


def test_status_gives_position_eta_and_why_it_waits(
    client: TestClient, app: App, finish: Finish
) -> None:
    # Given: three runs of `echo` are known, and one worker of two runners serves the queue.
    finish(*[app.tasks["echo"].enqueue(str(n)) for n in range(3)])
    register_worker(app, concurrency=2)
    jobs = [app.tasks["echo"].enqueue(f"waiting {n}") for n in range(5)]
    # When: the fifth job's customer reads its status.
    status = client.get(f"/jobs/{jobs[4].id}/status").json()
    # Then: it is fifth, should start within a few runs of echo, and says why it waits.
    assert status["position"] == 5
    assert status["eta_confidence"] == "medium"
    assert 0 <= status["eta"]["seconds"] < 5
    assert status["eta"]["at"] == pytest.approx(app.store.now() + status["eta"]["seconds"], abs=2)
    assert status["waiting"] == "waiting for a free runner"
    first = client.get(f"/jobs/{jobs[0].id}/status").json()
    assert (first["position"], first["eta"]["seconds"]) == (1, 0)
    page = client.get(f"/dashboard/jobs/{jobs[4].id}", headers=READ).text
    assert 'id="position">5 in queue default<' in page
    assert "medium confidence: 4 job(s) ahead" in page


def test_the_admin_view_of_a_job_says_how_the_eta_was_reached(
    client: TestClient, app: App, finish: Finish
) -> None:
    finish(app.tasks["echo"].enqueue("warm"))
    register_worker(app)
    app.tasks["echo"].enqueue("ahead")
    job = app.tasks["echo"].enqueue("x")
    found = client.get(f"/jobs/{job.id}", headers=READ).json()
    assert (found["position"], found["eta_confidence"]) == (2, "low")  # one run seen
    assert found["eta_basis"].startswith("1 job(s) ahead, about 0.")


def test_no_eta_without_a_worker_or_in_a_paused_queue(client: TestClient, app: App) -> None:
    job = app.tasks["echo"].enqueue("x")
    alone = client.get(f"/jobs/{job.id}/status").json()
    assert (alone["position"], alone["eta"], alone["eta_confidence"]) == (1, None, "none")
    register_worker(app)
    app.store.set_queue_paused("default", True, app.store.now())
    paused = client.get(f"/jobs/{job.id}/status").json()
    assert (paused["eta"], paused["waiting"]) == (None, "queue 'default' is paused")


def test_a_scheduled_job_has_no_position_yet(client: TestClient, app: App) -> None:
    register_worker(app)
    job = app.tasks["echo"].options(delay="1h").enqueue("later")
    status = client.get(f"/jobs/{job.id}/status").json()
    assert status["position"] is None
    assert status["eta"]["seconds"] == pytest.approx(3600, abs=5)
    assert status["eta_confidence"] == "low"


def test_the_public_reason_names_no_other_job(client: TestClient, app: App) -> None:
    register_worker(app)
    printer = app.limit("printer", concurrency=1)

    @app.task(limits=["printer"])
    def print_page() -> None: ...

    with printer:  # held by request code: the job waits for the slot
        job = print_page.enqueue()
        public = client.get(f"/jobs/{job.id}/status").json()["waiting"]
        admin = client.get(f"/jobs/{job.id}", headers=READ).json()["waiting"]
    assert public == "waiting for limit 'printer': all 1 slot(s) are taken"
    assert admin.startswith("waiting for limit 'printer': all 1 slot(s) held by ")


# -- the widget -------------------------------------------------------------------------------


def test_the_widget_says_where_the_job_stands(client: TestClient, app: App, finish: Finish) -> None:
    finish(*[app.tasks["echo"].enqueue(str(n)) for n in range(3)])
    register_worker(app)
    jobs = [app.tasks["echo"].enqueue(f"waiting {n}") for n in range(3)]
    page = client.get(f"/jobs/{jobs[2].id}/widget")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    headline = re.search(r'id="headline">([^<]*)<', page.text)
    assert headline is not None and headline.group(1) == "You are number 3, a few seconds"
    assert '<meta http-equiv="refresh" content="5">' in page.text
    # Any site may frame it; it still runs no script and loads only its own style sheet.
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors *" in policy and "script-src" not in policy
    assert "x-frame-options" not in page.headers
    assert client.get("/widget.css").status_code == 200


def test_the_widget_of_a_finished_job_stops_reloading(
    client: TestClient, app: App, finish: Finish
) -> None:
    job = app.tasks["render"].enqueue(2)
    finish(job)
    page = client.get(f"/jobs/{job.id}/widget").text
    assert 'id="headline">Done<' in page
    assert "refresh" not in page
    assert client.get("/jobs/01ZZZZZZZZZZZZZZZZZZZZZZZZ/widget").status_code == 404


def test_other_pages_still_refuse_to_be_framed(client: TestClient) -> None:
    health = client.get("/health")
    assert health.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in health.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (3, "a few seconds"),
        (38, "about 40 seconds"),
        (61, "about 1 minute"),
        (361, "about 6 minutes"),
        (3600, "about 1 hour"),
        (9000, "about 2.5 hours"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float, said: str) -> None:
    assert about(seconds) == said


def test_widget_words_for_each_state(app: App) -> None:
    job = app.tasks["echo"].enqueue("x")
    waiting = Place(3, Estimate(360.0, Confidence.HIGH, ""), 0.0, "waiting for a free runner")
    assert words(job.record, waiting).headline == "You are number 3, about 6 minutes"
    first = Place(1, Estimate(None, Confidence.NONE, ""), None, "no worker")
    assert words(job.record, first).headline == "You are next"
    assert words(job.record, first).detail == "no worker"
    job.cancel()
    assert words(job.refresh().record, first).headline == "Cancelled"
