"""The flow-control half of `App`: concurrency limits, rate limits, queues with a maximum
depth and a pause switch, and periodic tasks. Declared once in code; their state (slots,
grants, pauses, firings) lives in the store, shared by every process."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from cargohold.errors import ConfigurationError
from cargohold.limits import DEFAULT_LEASE, DEFAULT_WAIT, Limit
from cargohold.periodic import Schedule
from cargohold.queue import DEFAULT_RETRY_AFTER, Queue
from cargohold.rates import Rate
from cargohold.records import LimitRef
from cargohold.units import parse_duration

if TYPE_CHECKING:
    from cargohold.store.protocol import Store
    from cargohold.task import Task

T = TypeVar("T")

FlowRef = str | Limit | Rate | tuple[str, str]
"""How a task names a limit or rate: its name, the object, or (name, argument name) for a
per-key one whose key is the value of that argument of the call."""
_UNSET: Any = object()


class FlowControl:
    """Mixed into `App`."""

    if TYPE_CHECKING:
        tasks: dict[str, Task[Any, Any]]

        @property
        def store(self) -> Store: ...

        task: Callable[..., Any]

    def _init_flow(self) -> None:
        self.limits: dict[str, Limit] = {}
        self.rates: dict[str, Rate] = {}
        self.queues: dict[str, Queue] = {}
        self.schedules: dict[str, Schedule] = {}

    def _store_getter(self) -> Callable[[], Store]:
        return lambda: self.store

    # -- declarations ------------------------------------------------------------------------

    def limit(
        self,
        name: str,
        *,
        concurrency: int | None = None,
        key: object = None,
        lease: str | float | None = None,
        wait: str | float | None = _UNSET,
    ) -> Limit:
        """Declare a concurrency limit (`concurrency=` given) or return the declared one;
        `key=` binds it to one key (each key has its own slots).

        lease: how long a slot held by code outlives its process if that dies (default 60s;
        a thread of this process extends it while held); wait: how long `with limit:` waits
        for a free slot before LimitBusyError (default 30s; None waits for ever).
        """
        known = self.limits.get(name)
        if concurrency is not None:
            declared = Limit(
                self._store_getter(),
                name,
                concurrency,
                lease=DEFAULT_LEASE if lease is None else parse_duration(lease),
                wait=_wait(DEFAULT_WAIT if wait is _UNSET else wait),
            )
            if known is not None and known.concurrency != concurrency:
                raise ConfigurationError(
                    f"limit {name!r} is already declared with concurrency {known.concurrency}"
                )
            if known is None:
                self.limits[name] = known = declared
        elif known is None:
            raise ConfigurationError(
                f"limit {name!r} is not declared; declare it once with "
                f"app.limit({name!r}, concurrency=N)"
            )
        return known if key is None else known.key(key)

    def rate(self, name: str, spec: str | None = None, *, key: object = None) -> Rate:
        """Declare a rate limit (`spec` such as "10/minute") or return the declared one;
        `key=` binds it to one key (an IP address, a user) with its own budget."""
        known = self.rates.get(name)
        if spec is not None:
            declared = Rate(self._store_getter(), name, spec)
            if known is not None and (known.limit, known.period) != (
                declared.limit,
                declared.period,
            ):
                raise ConfigurationError(f"rate {name!r} is already declared as {known.spec!r}")
            if known is None:
                self.rates[name] = known = declared
        elif known is None:
            raise ConfigurationError(
                f"rate {name!r} is not declared; declare it once with "
                f"app.rate({name!r}, '10/minute')"
            )
        return known if key is None else known.key(key)

    def queue(
        self,
        name: str,
        *,
        max_depth: int | None = None,
        retry_after: str | float = DEFAULT_RETRY_AFTER,
    ) -> Queue:
        """A queue, with its options when given: `app.queue("photos", max_depth=1000)`.
        `.pause()` and `.resume()` it; the switch is kept in the store."""
        if max_depth is None and name in self.queues:
            return self.queues[name]
        declared = Queue(self._store_getter(), name, max_depth=max_depth, retry_after=retry_after)
        if max_depth is not None:
            self.queues[name] = declared
        return declared

    def pause(self, queue: str) -> bool:
        """Stop workers claiming from `queue`; False if it was already paused."""
        return self.queue(queue).pause()

    def resume(self, queue: str) -> bool:
        """Let workers claim from `queue` again; False if it was not paused."""
        return self.queue(queue).resume()

    def periodic(
        self,
        cron: str | None = None,
        /,
        *,
        every: str | float | None = None,
        tz: str | None = None,
        **task_options: Any,
    ) -> Callable[[Callable[[], T]], Task[[], T]]:
        """Register a task that takes no arguments and run it on a schedule:
        `@app.periodic("0 3 * * *")` (cron, UTC unless `tz="Europe/Paris"`) or
        `@app.periodic(every="5m")`. Other options are those of `app.task`."""

        def register(function: Callable[[], T]) -> Task[[], T]:
            required = [
                p
                for p in inspect.signature(function).parameters.values()
                if p.default is inspect.Parameter.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ]
            if required:
                raise ConfigurationError(
                    f"periodic task {function.__name__!r} must take no arguments "
                    f"(it has {[p.name for p in required]})"
                )
            registered: Task[[], T] = self.task(**task_options)(function)
            self.schedules[registered.name] = Schedule.build(registered, cron, every, tz)
            return registered

        return register

    # -- used by tasks, the enqueue and the workers ------------------------------------------

    def limit_capacities(self) -> dict[str, int]:
        """The concurrency of every declared limit (what this app's workers may claim)."""
        return {name: limit.concurrency for name, limit in self.limits.items()}

    def flow_names(
        self, task_name: str, kind: str, refs: Sequence[FlowRef], function: Callable[..., Any]
    ) -> tuple[tuple[str, str | None], ...]:
        """A task's `limits=` or `rates=` as (name, argument name or None), checked."""
        declared: dict[str, Any] = self.limits if kind == "limits" else self.rates
        parameters = inspect.signature(function).parameters
        names: list[tuple[str, str | None]] = []
        for ref in refs:
            if isinstance(ref, Limit | Rate):
                name, argument = ref.name, None
            elif isinstance(ref, tuple):
                name, argument = ref
                if argument not in parameters:
                    raise ConfigurationError(
                        f"task {task_name!r}: {kind} entry {ref!r} names argument {argument!r}, "
                        f"which the function does not take"
                    )
            else:
                name, argument = ref, None
            if name not in declared:
                what = "app.limit(name, concurrency=N)" if kind == "limits" else "app.rate(...)"
                raise ConfigurationError(
                    f"task {task_name!r}: {kind} entry {name!r} is not declared; declare it "
                    f"first with {what}"
                )
            names.append((name, argument))
        return tuple(names)


def resolve(
    names: Sequence[tuple[str, str | None]],
    function: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any],
) -> tuple[LimitRef, ...]:
    """The (name, key) pairs of one call: a per-key entry takes its key from the argument."""
    if not names:
        return ()
    bound: dict[str, Any] | None = None
    refs = []
    for name, argument in names:
        if argument is None:
            refs.append((name, ""))
            continue
        if bound is None:
            signature = inspect.signature(function).bind_partial(*args, **kwargs)
            signature.apply_defaults()
            bound = dict(signature.arguments)
        refs.append((name, str(bound.get(argument, ""))))
    return tuple(refs)


def _wait(value: str | float | None) -> float | None:
    return None if value is None else parse_duration(value)
