"""`JobMaker`: the `NewJob`s of one enqueue, made from its calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from cargohold.errors import ConfigurationError
from cargohold.flowcontrol import resolve
from cargohold.ids import new_job_id, new_job_ids
from cargohold.payload import encode_arguments
from cargohold.records import LimitRef, NewJob
from cargohold.task import Call, EnqueueOptions, Task

if TYPE_CHECKING:
    from cargohold.app import App


class JobMaker:
    """Makes the jobs of `count` calls enqueued together at `now`, one call at a time.

    What a job takes from its task, its options and its queue's declaration is worked out
    once for a run of calls that share them (a bulk enqueue is one task with no options):
    each call then costs only its id, its arguments and, for a task with limits or rates
    keyed by an argument, their keys."""

    def __init__(self, app: App, now: float, count: int) -> None:
        self._app = app
        self._now = now
        self._ids = iter([new_job_id(now)]) if count == 1 else new_job_ids(count, now)
        self._max_payload = app.settings.max_payload
        self._run: tuple[Task[Any, Any], EnqueueOptions, _Shared] | None = None
        """The task and options of the last call, and what their jobs share."""

    def __call__(self, call: Call[Any]) -> NewJob:
        task, options = call.task, call.options
        run = self._run
        if run is None or run[0] is not task or run[1] is not options:
            run = self._run = (task, options, self._share(task, options))
        shared = run[2]
        limits, rates = shared.limits, shared.rates
        if limits is None:
            limits = resolve(task.limits, task.fn, call.args, call.kwargs)
        if rates is None:
            rates = resolve(task.rates, task.fn, call.args, call.kwargs)
        return NewJob(
            next(self._ids),
            task.name,
            shared.queue,
            encode_arguments(task.name, call.args, call.kwargs, self._max_payload),
            shared.priority,
            task.max_attempts,
            shared.run_at,
            task.timeout,
            options.key,
            task.memory,
            limits,
            rates,
            task.wait_timeout,
            shared.max_depth,
        )

    def _share(self, task: Task[Any, Any], options: EnqueueOptions) -> _Shared:
        if task.app is not self._app:
            raise ConfigurationError(f"task {task.name!r} belongs to another App")
        run_at = options.run_at
        if options.delay is not None:
            run_at = self._now + options.delay
        queue = options.queue or task.queue
        declared = self._app.queues.get(queue)
        return _Shared(
            queue=queue,
            priority=task.priority if options.priority is None else options.priority,
            run_at=run_at,
            max_depth=None if declared is None else declared.max_depth,
            limits=None if task.limits else (),
            rates=None if task.rates else (),
        )


class _Shared(NamedTuple):
    """What the jobs of one task and one set of options have in common. `limits`, `rates`:
    None when each call's depend on its arguments."""

    queue: str
    priority: int
    run_at: float | None
    max_depth: int | None
    limits: tuple[LimitRef, ...] | None
    rates: tuple[LimitRef, ...] | None
