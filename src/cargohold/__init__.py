"""cargohold: a durable background job queue that never runs its host out of memory."""

from cargohold.app import App
from cargohold.context import JobContext, current_job
from cargohold.errors import (
    CargoholdError,
    ConfigurationError,
    InvalidTransitionError,
    JobCancelledError,
    JobFailedError,
    JobNotFoundError,
    PayloadError,
    PayloadTooLargeError,
    StoreError,
    UnknownTaskError,
    WaitTimeoutError,
)
from cargohold.job import Job, Progress
from cargohold.policy import Backoff
from cargohold.settings import Settings
from cargohold.signals import Cancel, Fail, Retry, Snooze
from cargohold.states import JobState
from cargohold.task import Task

__all__ = [
    "App",
    "Backoff",
    "Cancel",
    "CargoholdError",
    "ConfigurationError",
    "Fail",
    "InvalidTransitionError",
    "Job",
    "JobCancelledError",
    "JobContext",
    "JobFailedError",
    "JobNotFoundError",
    "JobState",
    "PayloadError",
    "PayloadTooLargeError",
    "Progress",
    "Retry",
    "Settings",
    "Snooze",
    "StoreError",
    "Task",
    "UnknownTaskError",
    "WaitTimeoutError",
    "current_job",
]

__version__ = "0.1.0"
