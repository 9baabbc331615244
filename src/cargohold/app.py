"""`App`: the task registry and the store, the object users create once."""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar, overload

from cargohold.errors import (
    ConfigurationError,
    JobNotFoundError,
    QueueFullError,
    UnknownTaskError,
)
from cargohold.flowcontrol import FlowControl, FlowRef
from cargohold.job import Job
from cargohold.newjobs import JobMaker
from cargohold.ondemand import JobsOnDemand
from cargohold.policy import Backoff
from cargohold.records import NewJob
from cargohold.resource import Resource
from cargohold.settings import Settings
from cargohold.store import open_store
from cargohold.store.joined import driver_connection
from cargohold.task import Call, EnqueueOptions, Task
from cargohold.units import parse_duration, parse_size

if TYPE_CHECKING:
    from cargohold.store.protocol import Store
    from cargohold.worker.embedded import EmbeddedWorker
    from cargohold.worker.supervisor import Supervisor

P = ParamSpec("P")
R = TypeVar("R")

Q = ParamSpec("Q")
T = TypeVar("T")

DEFAULT_QUEUE = "default"
DEFAULT_BACKOFF = Backoff()


class TaskDecorator(Protocol):
    def __call__(self, fn: Callable[P, R], /) -> Task[P, R]: ...


class App(FlowControl):
    """Holds the tasks and the store.

    `App()` reads the store URL from `CARGOHOLD_STORE` (default `sqlite:///cargohold.db`);
    `App(store="postgresql://...")` or `App(store=a_store)` name it explicitly.
    """

    def __init__(
        self, store: str | Store | None = None, *, settings: Settings | None = None
    ) -> None:
        if settings is None:
            settings = Settings.from_env(store=store if isinstance(store, str) else None)
        elif isinstance(store, str):
            settings = Settings.from_env({}, **{**_as_overrides(settings), "store": store})
        self.settings = settings
        self._store: Store | None = None if store is None or isinstance(store, str) else store
        self.tasks: dict[str, Task[Any, Any]] = {}
        self.resources: dict[str, Resource[Any]] = {}
        self._store_lock = threading.Lock()
        self._init_flow()

    def __repr__(self) -> str:
        return f"<App store={self.settings.store!r} tasks={len(self.tasks)}>"

    @property
    def store(self) -> Store:
        """The store, opened (and migrated) on first use."""
        if self._store is None:
            with self._store_lock:  # a web server's threads may all ask at once
                if self._store is None:
                    self._store = open_store(self.settings.store)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    # -- tasks -------------------------------------------------------------------------------

    @overload
    def task(self, fn: Callable[P, R], /) -> Task[P, R]: ...

    @overload
    def task(
        self,
        /,
        *,
        name: str | None = None,
        queue: str = DEFAULT_QUEUE,
        priority: int = 0,
        retries: int = 3,
        backoff: Backoff | str | float = DEFAULT_BACKOFF,
        timeout: str | float | None = None,
        memory: str | int | None = None,
        resources: Sequence[str | Resource[Any]] = (),
        limits: Sequence[FlowRef] = (),
        rates: Sequence[FlowRef] = (),
        wait_timeout: str | float | None = None,
    ) -> TaskDecorator: ...

    def task(
        self,
        fn: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        queue: str = DEFAULT_QUEUE,
        priority: int = 0,
        retries: int = 3,
        backoff: Backoff | str | float = DEFAULT_BACKOFF,
        timeout: str | float | None = None,
        memory: str | int | None = None,
        resources: Sequence[str | Resource[Any]] = (),
        limits: Sequence[FlowRef] = (),
        rates: Sequence[FlowRef] = (),
        wait_timeout: str | float | None = None,
    ) -> Task[Any, Any] | TaskDecorator:
        """Register a function as a task: `@app.task` or `@app.task(retries=5, timeout="10m")`.

        retries: failed attempts retried, with exponential `backoff` (a `Backoff`, or its
        base delay such as "2s"); timeout: a run taking longer is killed and counts as a
        failed attempt; memory: the peak memory a run needs ("400MB"), which the worker
        reserves before starting it until the task's measured peaks take over; resources:
        the resources (names or objects) it uses, so it runs preferably where they are warm.

        limits: concurrency limits (`app.limit`) a job holds a slot of while it runs (it
        starts only when each has a free slot); rates: rate limits (`app.rate`) it takes a
        grant of before it starts (it waits, without losing an attempt, while one is used
        up). An entry ("tenant", "tenant_id") is per key: the key is that argument's value.
        wait_timeout: a job still waiting this long after it was ready to run ("10m") is
        cancelled instead of started, with the reason in its events.
        """

        def register(function: Callable[Q, T]) -> Task[Q, T]:
            task_name = name or function.__name__
            if task_name in self.tasks:
                raise ConfigurationError(
                    f"a task named {task_name!r} is already registered "
                    f"({self.tasks[task_name].fn.__module__}); pass name= to tell them apart"
                )
            registered = Task(
                self,
                function,
                name=task_name,
                queue=queue,
                priority=priority,
                retries=retries,
                backoff=backoff
                if isinstance(backoff, Backoff)
                else Backoff(base=parse_duration(backoff)),
                timeout=None if timeout is None else parse_duration(timeout),
                memory=None if memory is None else parse_size(memory),
                resources=tuple(self._resource_names(resources)),
                limits=self.flow_names(task_name, "limits", limits, function),
                rates=self.flow_names(task_name, "rates", rates, function),
                wait_timeout=None if wait_timeout is None else parse_duration(wait_timeout),
            )
            self.tasks[task_name] = registered
            return registered

        return register if fn is None else register(fn)

    def resource(
        self, name: str, *, memory: str | int | None = None
    ) -> Callable[[Callable[[], T]], Resource[T]]:
        """Declare a resource: `@app.resource("unet", memory="150MB")` on its loader."""

        def declare(loader: Callable[[], T]) -> Resource[T]:
            if name in self.resources:
                raise ConfigurationError(f"a resource named {name!r} is already declared")
            declared = Resource(name, loader, None if memory is None else parse_size(memory))
            self.resources[name] = declared
            return declared

        return declare

    def loaded_resources(self) -> tuple[str, ...]:
        """Names of the resources this process holds."""
        return tuple(name for name, resource in self.resources.items() if resource.loaded)

    def _resource_names(self, resources: Sequence[str | Resource[Any]]) -> list[str]:
        names = [r if isinstance(r, str) else r.name for r in resources]
        unknown = [name for name in names if name not in self.resources]
        if unknown:
            raise ConfigurationError(
                f"resources {unknown} are not declared; declare them first with "
                "@app.resource(name, memory=...)"
            )
        return names

    def get_task(self, name: str) -> Task[Any, Any]:
        try:
            return self.tasks[name]
        except KeyError:
            known = ", ".join(sorted(self.tasks)) or "none"
            raise UnknownTaskError(
                f"no task is registered under the name {name!r} (registered: {known})"
            ) from None

    # -- jobs --------------------------------------------------------------------------------

    def enqueue(
        self,
        task: str,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
        **options: Any,
    ) -> Job[Any]:
        """Enqueue a task by its registered name (what the CLI and the HTTP API use)."""
        call = Call(
            self.get_task(task), tuple(args), dict(kwargs or {}), EnqueueOptions.parse(**options)
        )
        return self.enqueue_many([call])[0]

    def enqueue_many(self, calls: Sequence[Call[R]], *, connection: object = None) -> list[Job[R]]:
        """Enqueue several calls in one transaction; returns their jobs in the same order.

        `connection`: the caller's database connection or SQLAlchemy session; the jobs join
        its open transaction and exist if and only if it commits (see docs/postgres.md)."""
        store = self.store
        joined = _joined_connection(calls, connection)
        now = store.now()
        new_jobs: Sequence[NewJob]
        make = JobMaker(self, now, len(calls))
        if joined is None and len(calls) > 1:
            # Made as the store reads them: nothing is written if one fails.
            new_jobs = JobsOnDemand(calls, make)
        else:
            # Made before writing: a single job has nothing to overlap with, and the caller's
            # transaction goes on after an error.
            new_jobs = [make(call) for call in calls]
        try:
            if joined is None:
                results = store.enqueue(new_jobs, now)
            else:
                results = store.enqueue_in(driver_connection(joined), new_jobs, now)
        except QueueFullError as full:  # the queue's declaration says how long to wait
            if full.queue in self.queues:
                full.retry_after = self.queues[full.queue].retry_after
            raise
        jobs: list[Job[R]] = []
        for new_job, result in zip(new_jobs, results, strict=True):
            if result.created:
                jobs.append(Job(store, new_job, written_at=now))
                continue
            existing = store.get_job(result.id)
            if existing is None and joined is not None:
                # Its key is held by a job of this same transaction, not committed yet.
                record = replace(new_job.record(now), id=result.id)
                jobs.append(Job(store, record, created=False))
                continue
            if existing is None:  # its key was released between the insert and this read
                raise JobNotFoundError(f"job {result.id} holding key {new_job.key!r} vanished")
            jobs.append(Job(store, existing, created=False))
        return jobs

    def _new_job(self, call: Call[Any], now: float) -> NewJob:
        """The job of one call enqueued alone at `now`."""
        return JobMaker(self, now, 1)(call)

    def job(self, job_id: str) -> Job[Any]:
        """The job with this id; JobNotFoundError if there is none."""
        record = self.store.get_job(job_id)
        if record is None:
            raise JobNotFoundError(f"no job has id {job_id!r}")
        return Job(self.store, record)

    # -- workers -----------------------------------------------------------------------------

    def worker(self, **settings: Any) -> Supervisor:
        """A worker for this app; `settings` override the app's (e.g. concurrency=4)."""
        from cargohold.worker.supervisor import Supervisor

        merged = Settings.from_env({}, **{**_as_overrides(self.settings), **settings})
        return Supervisor(self, merged)

    def start_worker(self, **settings: Any) -> EmbeddedWorker | None:
        """Run a worker inside this process (for one-container hosts): call it from the web
        framework's startup hook, and `.stop()` the returned handle from its shutdown hook.

        Runners are child processes started fresh, so the app must be importable as a
        module attribute. Of several processes on one host, one supervises and the others
        only enqueue. Returns None inside a runner process (where the app is imported).
        """
        from cargohold.worker.embedded import EmbeddedWorker
        from cargohold.worker.runner import RUNNER_ENV

        if os.environ.get(RUNNER_ENV):
            return None
        worker = EmbeddedWorker(self, settings).start()
        atexit.register(worker.stop)
        return worker

    def run_worker(self, **settings: Any) -> None:
        """Run a worker in this process until SIGTERM or SIGINT (Ctrl+C)."""
        self.worker(**settings).run()


def _joined_connection(calls: Sequence[Call[Any]], connection: object) -> object:
    """The one connection these calls are enqueued with (None: the store's own)."""
    if connection is None and len(calls) == 1:
        return calls[0].options.connection
    given = {id(c.options.connection): c.options.connection for c in calls}
    given.pop(id(None), None)
    if connection is not None:
        given[id(connection)] = connection
    if len(given) > 1:
        raise ConfigurationError(
            "calls enqueued together must share one connection= (they are written in one "
            "transaction); enqueue them separately"
        )
    return next(iter(given.values()), None)


def _as_overrides(settings: Settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}
