"""Every exception cargohold raises. Each class's docstring is its default message."""

from __future__ import annotations


class CargoholdError(Exception):
    """cargohold failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class ConfigurationError(CargoholdError, ValueError):
    """A setting or option has a value cargohold cannot use."""


class UnknownTaskError(CargoholdError, LookupError):
    """No task is registered under that name."""


class PayloadError(CargoholdError, ValueError):
    """Job arguments or results must be JSON: strings, numbers, booleans, None, lists, dicts."""


class PayloadTooLargeError(PayloadError):
    """The job's arguments exceed the payload size limit."""


class JobNotFoundError(CargoholdError, LookupError):
    """No job has that id."""


class InvalidTransitionError(CargoholdError):
    """The job is not in a state that allows this action."""


class StoreError(CargoholdError):
    """The store could not complete the operation."""


class SchemaError(StoreError):
    """The store's schema is not the one this version of cargohold expects."""


class WorkerError(CargoholdError):
    """The worker could not run its runner processes."""


class JobFailedError(CargoholdError):
    """The job failed."""


class JobCancelledError(CargoholdError):
    """The job was cancelled."""


class WaitTimeoutError(CargoholdError, TimeoutError):
    """The job did not finish within the time given to wait()."""


class WorkersActiveError(CargoholdError):
    """Workers are running on the store: stop them first."""


class QueueFullError(CargoholdError):
    """The queue is full (it holds its maximum number of waiting jobs); the job was not
    enqueued. Try again later."""

    def __init__(
        self,
        message: str | None = None,
        *,
        queue: str = "",
        max_depth: int = 0,
        retry_after: float = 30.0,
    ) -> None:
        super().__init__(message)
        self.queue = queue
        self.max_depth = max_depth
        self.retry_after = retry_after
        """Seconds after which trying again is sensible (HTTP Retry-After)."""

    @classmethod
    def of(cls, queue: str, max_depth: int, retry_after: float = 30.0) -> QueueFullError:
        return cls(
            f"queue {queue!r} is full: it already holds {max_depth} waiting jobs, its "
            f"max_depth; the job was not enqueued (nothing was written): try again later, "
            f"or raise max_depth with app.queue({queue!r}, max_depth=...)",
            queue=queue,
            max_depth=max_depth,
            retry_after=retry_after,
        )


class RateLimitedError(CargoholdError):
    """The rate limit is used up: nothing was granted. Try again after `retry_after` seconds."""

    def __init__(self, message: str | None = None, *, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds until a grant could be given."""


class LimitBusyError(CargoholdError, TimeoutError):
    """Every slot of the concurrency limit stayed taken for as long as the caller would wait."""
