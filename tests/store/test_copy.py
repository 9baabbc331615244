"""`cargohold copy`: jobs move from SQLite to PostgreSQL and back, whole, once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from cargohold.cli.main import main
from cargohold.errors import WorkersActiveError
from cargohold.outcome import Failed, Succeeded
from cargohold.records import Ack, JobFilter, JobRecord, WorkerInfo
from cargohold.states import JobState
from cargohold.store import Store, open_store
from cargohold.store.copying import copy_jobs
from tests.store.test_contract import LEASE, WORKER, enqueue_one, kinds

pytest.importorskip("psycopg")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jobs.db'}"


@pytest.fixture(params=["sqlite-to-postgresql", "postgresql-to-sqlite"])
def urls(request: pytest.FixtureRequest, sqlite_url: str, postgres_url: str) -> tuple[str, str]:
    if request.param == "sqlite-to-postgresql":
        return sqlite_url, postgres_url
    return postgres_url, sqlite_url


@pytest.fixture
def stores(urls: tuple[str, str]) -> Iterator[tuple[Store, Store]]:
    source, destination = open_store(urls[0]), open_store(urls[1])
    yield source, destination
    source.close()
    destination.close()


def fill(store: Store) -> dict[str, str]:
    """Given: a store with a job in every state, a keyed one, and a learned task; by role."""
    now = store.now()
    jobs = {
        "queued": enqueue_one(store, now, key="stripe:evt_1", priority=4, timeout=30.0),
        "scheduled": enqueue_one(
            store,
            now,
            run_at=now + 3600,
            limits=(("image-api", ""),),
            rates=(("mail", "tenant-7"),),
            wait_timeout=3600.0,
        ),
        "succeeded": enqueue_one(store, now, task="render", memory=64 * 2**20),
        "failed": enqueue_one(store, now, max_attempts=1),
        "running": enqueue_one(store, now),
        "cancelled": enqueue_one(store, now),
    }
    store.cancel(jobs["cancelled"], "not wanted", now)
    claimed = {c.id: c for c in store.claim(WORKER, None, 10, LEASE, now)}  # the 4 ready ones
    assert len(claimed) == 4
    for role, outcome in (
        ("succeeded", Succeeded('{"pdf":"a"}')),
        ("failed", Failed("boom")),
        ("queued", Failed("x")),
    ):
        claim = claimed[jobs[role]]
        store.ack(WORKER, [Ack(claim.id, claim.lease_token, outcome, peak_memory=10)], now + 1)
    store.retry(jobs["queued"], now + 2)
    return jobs


def comparable(job: JobRecord) -> dict[str, object]:
    fields = asdict(job)
    fields.pop("need")
    return fields


def test_copy_moves_every_job_with_its_events_and_task_stats(
    stores: tuple[Store, Store],
) -> None:
    source, destination = stores
    jobs = fill(source)
    # When: the copy runs.
    report = copy_jobs(source, destination)
    # Then: every job but the running one is the same in both stores, events and all...
    assert report.read == report.written == 6 and report.requeued == [jobs["running"]]
    for role, job_id in jobs.items():
        before, after = source.get_job(job_id), destination.get_job(job_id)
        assert before is not None and after is not None, role
        if role != "running":
            assert comparable(after) == comparable(before), role
            assert kinds(destination, job_id) == kinds(source, job_id), role
    # ...the running one is queued again, its attempt not spent, with an event saying why...
    running = destination.get_job(jobs["running"])
    assert running is not None
    assert (running.state, running.attempt, running.lease_token) == (JobState.QUEUED, 0, None)
    assert kinds(destination, running.id) == ["enqueued", "claimed", "handed_back"]
    # ...the key is held in the destination, and the learned task statistics came along.
    assert len(destination.find_jobs(JobFilter(key="stripe:evt_1"))) == 1
    assert [(s.task, s.peaks) for s in destination.task_stats()] == [
        (s.task, s.peaks) for s in source.task_stats()
    ]
    # And: the destination's workers can take it from there.
    claims = destination.claim("new:1:cccccc", None, 10, LEASE, destination.now() + 5)
    assert {c.id for c in claims} == {jobs["queued"], jobs["running"]}


def test_copying_twice_writes_nothing_twice(stores: tuple[Store, Store]) -> None:
    source, destination = stores
    fill(source)
    copy_jobs(source, destination, page_size=2)
    events = {job.id: kinds(destination, job.id) for job in destination.find_jobs(JobFilter())}
    again = copy_jobs(source, destination, page_size=4)
    assert (again.read, again.written) == (6, 0)
    assert {job.id: kinds(destination, job.id) for job in destination.find_jobs(JobFilter())} == (
        events
    )


def test_copy_refuses_while_a_worker_is_active_on_the_source(
    stores: tuple[Store, Store],
) -> None:
    source, destination = stores
    enqueue_one(source, source.now())
    now = source.now()
    source.register_worker(WorkerInfo("web1:42:abcdef", "web1", 42, None, 2, now, now))
    with pytest.raises(WorkersActiveError, match=r"web1:42:abcdef \(pid 42 on web1\).*--force"):
        copy_jobs(source, destination)
    assert destination.find_jobs(JobFilter()) == []
    assert copy_jobs(source, destination, force=True).written == 1


def test_a_worker_not_seen_for_a_minute_counts_as_gone(stores: tuple[Store, Store]) -> None:
    source, destination = stores
    enqueue_one(source, source.now())
    then = source.now() - 120
    source.register_worker(WorkerInfo("old:1:abcdef", "old", 1, None, 2, then, then))
    assert copy_jobs(source, destination).written == 1


def test_the_copy_command(
    urls: tuple[str, str], stores: tuple[Store, Store], capsys: pytest.CaptureFixture[str]
) -> None:
    source, _ = stores
    fill(source)
    assert main(["copy", *urls]) == 0
    out = capsys.readouterr().out
    assert "copied 6 job(s)" in out and "1 running" in out and "copied as queued" in out
    assert main(["copy", *urls]) == 0
    out = capsys.readouterr().out
    assert "copied 0 job(s)" in out and "6 were there already" in out
    now = source.now()
    source.register_worker(WorkerInfo("web1:42:abcdef", "web1", 42, None, 2, now, now))
    assert main(["copy", *urls]) == 2
    assert "--force" in capsys.readouterr().err


def test_the_copy_command_refuses_a_missing_sqlite_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = f"sqlite:///{tmp_path / 'nope.db'}"
    assert main(["copy", missing, f"sqlite:///{tmp_path / 'dst.db'}"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nope.db").exists()
