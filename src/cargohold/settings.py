"""Worker and store settings: one frozen dataclass. Every field can be set by an environment
variable `CARGOHOLD_<NAME>` and by a CLI flag `--<name>`; durations and sizes take human forms."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cargohold.errors import ConfigurationError
from cargohold.units import parse_duration, parse_size

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ENV_PREFIX = "CARGOHOLD_"
DEFAULT_STORE = "sqlite:///cargohold.db"


def parse_names(value: str | Sequence[str]) -> tuple[str, ...]:
    """A comma-separated list (or a sequence), each name stripped, empty ones dropped."""
    names = value.split(",") if isinstance(value, str) else list(value)
    return tuple(name.strip() for name in names if name.strip())


def _parse_queues(value: str | tuple[str, ...] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return parse_names(value) or None


def _parse_positive_int(value: str | int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise ConfigurationError(f"{value!r} must be at least 1")
    return number


def _parse_count(value: str | int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise ConfigurationError(f"{value!r} must be 0 or more")
    return number


def parse_optional_size(value: str | int | None) -> int | None:
    """A size, or None for nothing, an empty text or "auto"."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return None
    return parse_size(value)


def _parse_optional_positive_int(value: str | int | None) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return None
    return _parse_positive_int(value)


def setting(default: Any, parse: Callable[[Any], Any], help: str, **more: Any) -> Any:
    """A field of a settings dataclass: its default, the function that parses a given value
    (raising ConfigurationError), its help text, and `more` for the metadata."""
    return field(default=default, metadata={"parse": parse, "help": help, **more})


def read_fields(
    cls: type[DataclassInstance],
    environ: Mapping[str, str],
    overrides: Mapping[str, Any],
    env_var: Callable[[str], str],
    given: Callable[[str], str],
) -> dict[str, Any]:
    """The parsed value of each field of the settings dataclass `cls` that is in `overrides`
    (not None), else in `environ` under `env_var(name)`. An error names the value's source:
    the variable, or `given(name)` for an override."""
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        raw = overrides.get(spec.name)
        source = given(spec.name)
        if raw is None:
            raw = environ.get(env_var(spec.name))
            source = env_var(spec.name)
        if raw is None:
            continue
        try:
            values[spec.name] = spec.metadata["parse"](raw)
        except ConfigurationError as error:
            raise ConfigurationError(f"{source}: {error}") from None
    return values


@dataclass(frozen=True, slots=True)
class Settings:
    store: str = setting(DEFAULT_STORE, str, "store URL: sqlite:///file.db or postgresql://...")
    queues: tuple[str, ...] | None = setting(
        None, _parse_queues, "comma-separated queues to take jobs from"
    )
    concurrency: int | None = setting(
        None,
        _parse_optional_positive_int,
        "most jobs run at once (runner processes); auto: from the memory budget",
    )
    memory: int | None = setting(
        None,
        parse_optional_size,
        "memory limit to keep jobs under (e.g. 512MB); auto: the container's, else the host's",
    )
    memory_headroom: int | None = setting(
        None, parse_optional_size, "memory kept free below the limit; auto: 5%, at least 24MiB"
    )
    recycle_growth: int = setting(
        64 * 1024 * 1024,
        parse_size,
        "replace an idle runner that grew this much over its start size",
    )
    poll_interval: float = setting(
        1.0, parse_duration, "how often an idle worker looks for jobs without a wake-up"
    )
    lease: float = setting(
        30.0, parse_duration, "how long a claimed job stays reserved without a heartbeat"
    )
    heartbeat: float = setting(5.0, parse_duration, "how often leases are extended")
    rescue_interval: float = setting(
        10.0, parse_duration, "how often expired leases of dead workers are rescued"
    )
    grace: float = setting(
        30.0, parse_duration, "on shutdown, how long running jobs may finish before hand-back"
    )
    max_payload: int = setting(
        1_000_000, parse_size, "largest accepted job arguments, in bytes (e.g. 1MB)"
    )
    max_runner_jobs: int = setting(
        0, _parse_count, "replace a runner process after this many jobs (0: never)"
    )
    retention: float = setting(
        7 * 86400.0, parse_duration, "succeeded and cancelled jobs are deleted after this (0: kept)"
    )
    failed_retention: float = setting(
        30 * 86400.0, parse_duration, "failed jobs are deleted after this (0: kept)"
    )
    key_retention: float = setting(
        7 * 86400.0,
        parse_duration,
        "a finished job holding an idempotency key is kept at least this long",
    )
    prune_interval: float = setting(
        3600.0, parse_duration, "how often workers delete jobs past their retention"
    )

    def __post_init__(self) -> None:
        if self.lease < 3 * self.heartbeat:
            raise ConfigurationError(
                f"lease ({self.lease:g}s) must be at least 3 x heartbeat ({self.heartbeat:g}s) "
                "so that a late heartbeat or two does not lose a running job; raise "
                "CARGOHOLD_LEASE or lower CARGOHOLD_HEARTBEAT"
            )
        if self.heartbeat <= 0 or self.poll_interval <= 0 or self.rescue_interval <= 0:
            raise ConfigurationError("heartbeat, poll_interval and rescue_interval must be > 0")
        if self.prune_interval <= 0:
            raise ConfigurationError("prune_interval must be > 0")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from `CARGOHOLD_*` variables, then `overrides` (None means not given)."""
        environ = os.environ if environ is None else environ
        return cls(**read_fields(cls, environ, overrides, env_var, flag))


def env_var(name: str) -> str:
    return ENV_PREFIX + name.upper()


def flag(name: str) -> str:
    """The CLI flag of a setting."""
    return f"--{name.replace('_', '-')}"


def describe() -> list[tuple[str, str, Any]]:
    """(name, help, default) of every setting, for the CLI and the docs."""
    return [
        (spec.name, spec.metadata["help"], spec.default) for spec in dataclasses.fields(Settings)
    ]
