"""`Task`: a registered function, and the calls of it that become jobs."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from cargohold.errors import ConfigurationError
from cargohold.policy import Backoff
from cargohold.units import parse_duration

if TYPE_CHECKING:
    from cargohold.app import App
    from cargohold.job import Job

P = ParamSpec("P")
R = TypeVar("R")

ENQUEUE_OPTIONS = frozenset({"delay", "run_at", "priority", "key", "queue", "connection"})
"""Keywords `Task.enqueue` takes for itself; task functions may not use these names."""


@dataclass(frozen=True, slots=True)
class EnqueueOptions:
    """How one call is enqueued: when, where, how urgent, and under which idempotency key."""

    delay: float | None = None
    run_at: float | None = None
    priority: int | None = None
    key: str | None = None
    queue: str | None = None
    connection: object = None
    """The caller's database connection (or SQLAlchemy session) whose open transaction the
    job joins: it exists if and only if that transaction commits."""

    @classmethod
    def parse(
        cls,
        *,
        delay: str | float | None = None,
        run_at: datetime | float | None = None,
        priority: int | None = None,
        key: str | None = None,
        queue: str | None = None,
        connection: object = None,
    ) -> EnqueueOptions:
        if delay is not None and run_at is not None:
            raise ConfigurationError("give delay or run_at, not both")
        if isinstance(run_at, datetime):
            if run_at.tzinfo is None:
                raise ConfigurationError(
                    "run_at must be timezone-aware (e.g. datetime.now(timezone.utc)) or "
                    "seconds since the epoch"
                )
            run_at = run_at.timestamp()
        if key is not None and (not isinstance(key, str) or not key):
            raise ConfigurationError(f"key must be a non-empty string, got {key!r}")
        if priority is not None and not isinstance(priority, int):
            raise ConfigurationError(f"priority must be an integer, got {priority!r}")
        return cls(
            delay=None if delay is None else parse_duration(delay),
            run_at=None if run_at is None else float(run_at),
            priority=priority,
            key=key,
            queue=queue,
            connection=connection,
        )


@dataclass(frozen=True, slots=True)
class Call(Generic[R]):
    """One call of a task, not yet enqueued: pass several to `App.enqueue_many`."""

    task: Task[Any, R]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    options: EnqueueOptions = EnqueueOptions()

    def with_options(self, **options: Any) -> Call[R]:
        return replace(self, options=EnqueueOptions.parse(**options))


class Task(Generic[P, R]):
    """A function registered with an `App`. Calling it runs it here and now; `enqueue` makes
    a durable job of the call for a worker to run."""

    def __init__(
        self,
        app: App,
        fn: Callable[P, R],
        *,
        name: str,
        queue: str,
        priority: int,
        retries: int,
        backoff: Backoff,
        timeout: float | None,
        memory: int | None = None,
        resources: tuple[str, ...] = (),
        limits: tuple[tuple[str, str | None], ...] = (),
        rates: tuple[tuple[str, str | None], ...] = (),
        wait_timeout: float | None = None,
    ) -> None:
        _check_parameters(fn, name)
        if retries < 0:
            raise ConfigurationError(f"task {name!r}: retries must be >= 0, got {retries}")
        self.app = app
        self.fn = fn
        self.name = name
        self.queue = queue
        self.priority = priority
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.memory = memory
        self.resources = resources
        """Declared peak memory in bytes, used until the task's own runs have taught more."""
        self.limits = limits
        """(limit name, argument holding the key or None) of each limit a job holds."""
        self.rates = rates
        self.wait_timeout = wait_timeout
        self.is_async = inspect.iscoroutinefunction(fn)
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def __repr__(self) -> str:
        return f"<Task {self.name} queue={self.queue}>"

    @property
    def max_attempts(self) -> int:
        return self.retries + 1

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def call(self, *args: P.args, **kwargs: P.kwargs) -> Call[R]:
        """This call as a value, to enqueue later or in bulk with `App.enqueue_many`."""
        return Call(self, args, kwargs)

    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> Job[R]:
        """Persist a call of this task as a job and return its handle.

        Besides the task's own arguments it takes `delay=`, `run_at=`, `priority=`, `key=`
        (idempotency: a second enqueue with a known key returns the existing job), `queue=`
        and `connection=` (the caller's database connection or SQLAlchemy session: the job
        joins its open transaction and exists if and only if that commits). Type checkers
        see only the task's signature: typed code passes those through `task.options(...)`.
        """
        if ENQUEUE_OPTIONS.isdisjoint(kwargs):
            return self.app.enqueue_many([Call(self, args, kwargs)])[0]
        options: dict[str, Any] = {
            name: kwargs.pop(name) for name in ENQUEUE_OPTIONS & kwargs.keys()
        }
        call = Call(self, args, dict(kwargs), EnqueueOptions.parse(**options))
        return self.app.enqueue_many([call])[0]

    def options(self, **options: Any) -> BoundTask[P, R]:
        """`task.options(key="evt_1", delay="5m").enqueue(...)`: enqueue options, typed."""
        return BoundTask(self, EnqueueOptions.parse(**options))

    def enqueue_many(self, calls: Iterable[Sequence[Any]]) -> list[Job[R]]:
        """Enqueue one job per sequence of positional arguments, in one transaction."""
        return self.app.enqueue_many([Call(self, tuple(args), {}) for args in calls])


class BoundTask(Generic[P, R]):
    def __init__(self, task: Task[P, R], options: EnqueueOptions) -> None:
        self._task = task
        self._options = options

    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> Job[R]:
        return self._task.app.enqueue_many([Call(self._task, args, kwargs, self._options)])[0]

    def call(self, *args: P.args, **kwargs: P.kwargs) -> Call[R]:
        return Call(self._task, args, kwargs, self._options)


def _check_parameters(fn: Callable[..., Any], name: str) -> None:
    clashes = ENQUEUE_OPTIONS & set(inspect.signature(fn).parameters)
    if clashes:
        raise ConfigurationError(
            f"task {name!r} has parameters named {sorted(clashes)}, which enqueue() reserves "
            "for its own options; rename them"
        )
