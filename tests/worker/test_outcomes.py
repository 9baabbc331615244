"""A real supervisor and real runner processes on a real SQLite file: how attempts end."""

from __future__ import annotations

from pathlib import Path

import pytest

from cargohold import App, JobFailedError, JobState
from cargohold.job import Job
from tests.worker.conftest import Drive


def finished(*jobs: Job[object]) -> bool:
    return all(job.refresh().state.is_terminal for job in jobs)


def test_jobs_run_and_store_their_results(app: App, drive: Drive) -> None:
    jobs = [app.tasks["add"].enqueue(n, n) for n in range(20)]
    async_job = app.tasks["async_add"].enqueue(2, 3)
    drive(lambda: finished(*jobs, async_job))
    assert [job.result for job in jobs] == [2 * n for n in range(20)]
    assert async_job.result == 5


def test_retry_then_success(app: App, drive: Drive) -> None:
    job = app.tasks["flaky"].enqueue(2)
    drive(lambda: finished(job))
    assert (job.state, job.attempt, job.result) == (JobState.SUCCEEDED, 3, "ok on attempt 3")
    kinds = [event.kind for event in job.events()]
    assert kinds.count("retrying") == 2 and kinds[-1] == "succeeded"


def test_retries_exhausted_fail_with_the_last_error(app: App, drive: Drive) -> None:
    job = app.tasks["flaky"].enqueue(10)
    drive(lambda: finished(job))
    assert job.state == JobState.FAILED and job.attempt == 4
    assert "ConnectionError: attempt 4 failed" in (job.error or "")
    assert "Traceback" in (job.record.traceback or "")
    with pytest.raises(JobFailedError, match="attempt 4 failed"):
        job.wait(timeout=1)


def test_timeout_kills_the_runner(app: App, drive: Drive) -> None:
    job = app.tasks["sleepy"].enqueue(30)
    after = app.tasks["add"].enqueue(1, 1)
    supervisor = drive(lambda: finished(job, after), concurrency=1)
    assert job.state == JobState.FAILED and "timed out after 0.5s" in (job.error or "")
    assert after.result == 2  # the replacement runner carries on
    assert supervisor.outcomes["failed"] == 1


def test_a_runner_crash_is_contained_and_retried(app: App, drive: Drive) -> None:
    crash = app.tasks["crash"].enqueue()
    others = [app.tasks["add"].enqueue(n, 1) for n in range(10)]
    drive(lambda: finished(crash, *others))
    assert crash.state == JobState.FAILED and crash.attempt == 2
    assert "killed by SIGKILL" in (crash.error or "")
    assert all(job.state == JobState.SUCCEEDED for job in others)


def test_a_job_that_keeps_crashing_its_runner_is_poison(app: App, drive: Drive) -> None:
    job = app.tasks["always_crash"].enqueue()
    drive(lambda: finished(job))
    assert job.state == JobState.FAILED and job.attempt == 3  # not its 11 allowed attempts
    assert "poison" in (job.error or "") and "exited with status 3" in (job.error or "")


def test_progress_is_stored_and_the_last_report_kept(app: App, drive: Drive) -> None:
    job = app.tasks["steps"].enqueue(5, 0.05)
    seen: set[float] = set()

    def watch() -> bool:
        progress = job.refresh().progress
        if progress is not None:
            seen.add(progress.current)
        return job.state.is_terminal

    drive(watch)
    assert job.progress is not None
    assert (job.progress.current, job.progress.total, job.progress.message) == (5, 5, "step 5 of 5")
    assert len(seen) >= 2  # progress was visible while the job ran, not only at the end


def test_task_signals(app: App, drive: Drive, tmp_path: Path) -> None:
    task = app.tasks["signals"]
    retry, snooze, cancel, fail = (
        task.enqueue("retry"),
        task.enqueue("snooze", str(tmp_path / "marker")),
        task.enqueue("cancel"),
        task.enqueue("fail"),
    )
    drive(lambda: finished(retry, snooze, cancel, fail))
    assert (retry.state, retry.attempt) == (JobState.SUCCEEDED, 2)
    assert (snooze.state, snooze.attempt) == (JobState.SUCCEEDED, 1)
    assert (cancel.state, cancel.error) == (JobState.CANCELLED, "nothing to do")
    assert (fail.state, fail.attempt) == (JobState.FAILED, 1)
    assert fail.error == "the order no longer exists"


def test_a_non_json_result_fails_the_job_clearly(app: App, drive: Drive) -> None:
    job = app.tasks["returns_object"].enqueue()
    drive(lambda: finished(job))
    assert job.state == JobState.FAILED and "not JSON" in (job.error or "")


def test_cancel_a_running_job(app: App, drive: Drive) -> None:
    job = app.tasks["steps"].enqueue(200, 0.05)
    supervisor = None

    def cancel_once_running() -> bool:
        if job.refresh().state == JobState.RUNNING and not job.record.cancel_requested:
            job.cancel("changed my mind")
        return job.state.is_terminal

    supervisor = drive(cancel_once_running, heartbeat=0.2, lease=1.0)
    assert job.state == JobState.CANCELLED
    assert [e.kind for e in job.events()][-2:] == ["cancel_requested", "cancelled"]
    assert supervisor.running_jobs == []
