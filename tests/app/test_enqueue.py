"""The public API a web app calls: enqueue, keys, options, and clear errors for bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cargohold import (
    App,
    ConfigurationError,
    JobNotFoundError,
    JobState,
    PayloadError,
    PayloadTooLargeError,
    Settings,
    UnknownTaskError,
    WaitTimeoutError,
)
from cargohold.records import JobFilter


@pytest.fixture
def app(tmp_path: Path) -> App:
    app = App(f"sqlite:///{tmp_path / 'api.db'}")

    @app.task(queue="books", priority=3, timeout="10m", retries=5)
    def render_book(order_id: str, pages: int = 12) -> dict[str, str]:
        return {"pdf": order_id}

    return app


def test_enqueue_persists_the_call(app: App) -> None:
    job = app.tasks["render_book"].enqueue("ord_42", pages=3)
    stored = app.job(job.id)
    assert stored.state == JobState.QUEUED and stored.queue == "books"
    assert stored.record.priority == 3 and stored.record.timeout == 600
    assert stored.record.max_attempts == 6
    assert stored.record.args == '{"args":["ord_42"],"kwargs":{"pages":3}}'
    assert [e.kind for e in stored.events()] == ["enqueued"]


def test_a_duplicate_key_returns_the_same_job(app: App) -> None:
    task = app.tasks["render_book"]
    first = task.enqueue("ord_1", key="stripe:evt_123")
    second = task.enqueue("ord_1", key="stripe:evt_123")
    assert second.id == first.id and first.created and not second.created
    assert len(app.store.find_jobs(JobFilter())) == 1


def test_options_delay_run_at_priority_queue(app: App) -> None:
    task = app.tasks["render_book"]
    delayed = task.enqueue("a", delay="1h")
    assert delayed.state == JobState.SCHEDULED
    assert delayed.record.run_at == pytest.approx(delayed.record.created_at + 3600)
    at = datetime(2030, 1, 1, tzinfo=UTC)
    typed = task.options(run_at=at, priority=9, queue="urgent").enqueue("b")
    assert typed.record.run_at == at.timestamp() and typed.record.priority == 9
    assert typed.queue == "urgent"


def test_enqueue_many_is_one_batch(app: App) -> None:
    task = app.tasks["render_book"]
    jobs = app.enqueue_many([task.call("a"), task.call("b", pages=2).with_options(key="b")])
    jobs += task.enqueue_many([("c",), ("d", 4)])
    assert len({job.id for job in jobs}) == 4
    assert all(app.job(job.id).state == JobState.QUEUED for job in jobs)


def test_enqueue_by_name(app: App) -> None:
    job = app.enqueue("render_book", ["x"], {"pages": 1}, key="k1")
    assert app.job(job.id).task == "render_book"


def test_unknown_task_names_the_registered_ones(app: App) -> None:
    with pytest.raises(UnknownTaskError, match=r"'rendr_book'.*registered: render_book"):
        app.enqueue("rendr_book", [])


def test_arguments_that_are_not_json_are_refused_and_nothing_is_stored(app: App) -> None:
    with pytest.raises(PayloadError, match="not JSON"):
        app.tasks["render_book"].enqueue(object())  # type: ignore[arg-type]
    assert app.store.count_jobs() == {}


def test_payload_too_large(tmp_path: Path) -> None:
    app = App(settings=Settings(store=f"sqlite:///{tmp_path / 'p.db'}", max_payload=100))

    @app.task
    def upload(data: str) -> None: ...

    with pytest.raises(PayloadTooLargeError, match="payload limit is 100 B"):
        upload.enqueue("x" * 200)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"delay": "soonish"}, "not a duration"),
        ({"delay": "1s", "run_at": 5.0}, "not both"),
        ({"run_at": datetime(2030, 1, 1)}, "timezone-aware"),
        ({"key": ""}, "non-empty string"),
        ({"priority": "high"}, "integer"),
    ],
)
def test_bad_options_are_refused(app: App, options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        app.tasks["render_book"].enqueue("a", **options)  # type: ignore[arg-type]


def test_task_registration_errors(app: App) -> None:
    with pytest.raises(ConfigurationError, match="already registered"):

        @app.task(name="render_book")
        def other() -> None: ...

    with pytest.raises(ConfigurationError, match="reserves"):

        @app.task
        def clashing(key: str) -> None: ...

    with pytest.raises(ConfigurationError, match="not a duration"):

        @app.task(timeout="forever")
        def slow() -> None: ...


def test_bad_store_urls(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not supported"):
        App("mysql://x").store  # noqa: B018
    with pytest.raises(ConfigurationError, match="in-memory"):
        App("sqlite:///:memory:").store  # noqa: B018
    with pytest.raises(ConfigurationError, match="does not exist"):
        App(f"sqlite:///{tmp_path}/missing/dir/x.db").store  # noqa: B018


def test_the_store_file_is_private(app: App, tmp_path: Path) -> None:
    app.tasks["render_book"].enqueue("a")
    assert (tmp_path / "api.db").stat().st_mode & 0o077 == 0


def test_job_lookup_and_wait(app: App) -> None:
    with pytest.raises(JobNotFoundError):
        app.job("01NOPE")
    job = app.tasks["render_book"].enqueue("a")
    with pytest.raises(WaitTimeoutError, match="still queued"):
        job.wait(timeout=0.05)
    assert job.cancel() and job.state == JobState.CANCELLED
    assert not job.cancel()


def test_current_job_outside_a_worker() -> None:
    from cargohold import CargoholdError, current_job

    with pytest.raises(CargoholdError, match="outside a job"):
        current_job()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_single_bad_call_writes_nothing_and_the_next_call_is_written(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A single call is made into its job before anything is sent to the store."""
    url = (
        f"sqlite:///{tmp_path / 'single.db'}"
        if kind == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    app = App(url)

    @app.task
    def resize(image: object) -> None: ...

    try:
        with pytest.raises(PayloadError, match="not JSON"):
            resize.enqueue(object())
        assert app.store.count_jobs() == {}
        job = resize.enqueue("img-1")
        assert [j.id for j in app.store.find_jobs(JobFilter())] == [job.id]
    finally:
        app.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_one_bad_call_in_a_large_batch_writes_none_of_it(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Calls are made into jobs while the first ones are being written: a call that cannot
    be made into a job, far into the batch, still leaves nothing written."""
    url = (
        f"sqlite:///{tmp_path / 'bulk.db'}"
        if kind == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    app = App(url)

    @app.task
    def resize(image: object) -> None: ...

    calls = [resize.call(f"img-{n}") for n in range(1_500)]
    calls[1_200] = resize.call(object())
    try:
        with pytest.raises(PayloadError, match="not JSON"):
            app.enqueue_many(calls)
        assert app.store.count_jobs() == {}
        assert len(app.enqueue_many(calls[:1_200])) == 1_200
    finally:
        app.close()


def test_a_batch_of_several_tasks_and_options_gives_each_job_its_own(tmp_path: Path) -> None:
    app = App(f"sqlite:///{tmp_path / 'mixed.db'}")
    app.limit("printer", concurrency=1)
    app.rate("per_user", "5/minute")
    app.queue("prints", max_depth=100)

    @app.task(queue="prints", priority=2, limits=["printer"], rates=[("per_user", "user")])
    def print_page(user: str, page: int) -> None:
        pass

    @app.task(retries=7, timeout="30s", memory="1MiB", wait_timeout="1m")
    def mail(to: str) -> None:
        pass

    try:
        urgent = mail.call("b@example.com").with_options(priority=9, queue="urgent", key="m1")
        calls = [
            print_page.call("ann", 1),
            print_page.call("bob", 2),
            mail.call("a@example.com"),
            urgent,
            print_page.call("ann", 3).with_options(delay="1h"),
            mail.call("c@example.com"),
        ]
        jobs = app.enqueue_many(calls)
        stored = [app.store.get_job(job.id) for job in jobs]
        assert [(r.task, r.queue, r.priority, r.key) for r in stored if r is not None] == [
            ("print_page", "prints", 2, None),
            ("print_page", "prints", 2, None),
            ("mail", "default", 0, None),
            ("mail", "urgent", 9, "m1"),
            ("print_page", "prints", 2, None),
            ("mail", "default", 0, None),
        ]
        assert [job.state for job in jobs] == [JobState.QUEUED] * 4 + [
            JobState.SCHEDULED,
            JobState.QUEUED,
        ]
        new_jobs = [app._new_job(call, 1_000.0) for call in calls]
        assert [job.rates for job in new_jobs[:2]] == [
            (("per_user", "ann"),),
            (("per_user", "bob"),),
        ]
        assert new_jobs[0].limits == (("printer", ""),) and new_jobs[2].limits == ()
        assert new_jobs[0].max_depth == 100 and new_jobs[2].max_depth is None
        assert (new_jobs[2].max_attempts, new_jobs[2].timeout, new_jobs[2].memory) == (
            8,
            30.0,
            1024 * 1024,
        )
        assert new_jobs[2].wait_timeout == 60.0 and new_jobs[4].run_at == 1_000.0 + 3600
        assert len({job.id for job in jobs}) == 6
    finally:
        app.close()
