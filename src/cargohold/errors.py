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


class JobFailedError(CargoholdError):
    """The job failed."""


class JobCancelledError(CargoholdError):
    """The job was cancelled."""


class WaitTimeoutError(CargoholdError, TimeoutError):
    """The job did not finish within the time given to wait()."""
