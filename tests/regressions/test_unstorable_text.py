"""A task's own words that no store could hold as they are (a NUL character, a lone
surrogate) never stop a worker from persisting outcomes: real runners, on both stores."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cargohold import App, JobState, current_job


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    built = App(url)

    @built.task(retries=0)
    def awkward(kind: str) -> str:
        current_job().progress(1, 2, "half\x00way \udce9")
        if kind == "raise":
            raise ValueError("bad\x00byte and caf\udce9")
        if kind == "return":
            return "caf\udce9"
        return "fine"

    yield built
    built.close()


def test_outcomes_with_unstorable_text_are_persisted_escaped(app: App) -> None:
    awkward = app.tasks["awkward"]
    raised, returned, fine = (awkward.enqueue(kind) for kind in ("raise", "return", "fine"))
    supervisor = app.worker(concurrency=2, poll_interval=0.05)
    supervisor.start()
    try:
        deadline = time.monotonic() + 30
        while not all(job.refresh().state.is_terminal for job in (raised, returned, fine)):
            assert time.monotonic() < deadline, "outcomes were not persisted"
            supervisor.step(max_wait=0.05)
    finally:
        supervisor.shutdown()
    assert raised.state == JobState.FAILED
    assert raised.error == "ValueError: bad\\x00byte and caf\\udce9"
    assert returned.state == JobState.FAILED
    assert "returned a string that is not valid Unicode" in (returned.error or "")
    assert fine.state == JobState.SUCCEEDED and fine.result == "fine"
    assert fine.record.progress_message == "half\\x00way \\udce9"


def test_a_cancel_reason_with_unstorable_text_is_kept_escaped(app: App) -> None:
    job = app.tasks["awkward"].enqueue("fine")
    assert job.cancel("stop\x00 caf\udce9")
    assert job.state == JobState.CANCELLED
    [cancelled] = [event for event in job.events() if event.kind == "cancelled"]
    assert cancelled.reason == "stop\\x00 caf\\udce9"
