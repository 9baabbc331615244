"""Periodic jobs: `@app.periodic("0 3 * * *")` or `@app.periodic(every="5m")`.

A schedule's firings are points in time ("slots") that every worker computes alike: for
`every`, the multiples of the interval since the epoch; for a cron expression (parsed by
`cronsim`), its matching minutes in the schedule's time zone. The workers' side loop enqueues
the latest slot that has come, through the store's compare-and-set on the schedule's last
firing: each firing is enqueued once, however many workers run.

Missed firings (every worker was down): only the latest missed slot fires, once, as soon as
a worker runs again; the earlier ones are skipped, never replayed in a flood. A schedule a
store has never seen starts at its next slot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cargohold.errors import ConfigurationError
from cargohold.task import Task
from cargohold.units import parse_duration


def _cronsim() -> Any:
    try:
        import cronsim
    except ModuleNotFoundError:  # pragma: no cover - a dependency of cargohold
        raise ConfigurationError(
            "cron schedules need the cronsim package: pip install cronsim"
        ) from None
    return cronsim


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a periodic task fires: a cron expression or a fixed interval."""

    task: Task[[], Any]
    cron: str | None = None
    every: float | None = None
    timezone: tzinfo = UTC

    @property
    def name(self) -> str:
        return self.task.name

    @classmethod
    def build(
        cls, task: Task[[], Any], cron: str | None, every: str | float | None, tz: str | None
    ) -> Schedule:
        if (cron is None) == (every is None):
            raise ConfigurationError(
                f"periodic task {task.name!r}: give a cron expression or every=, not "
                + ("both" if cron else "neither")
            )
        zone: tzinfo = UTC
        if tz is not None:
            try:
                zone = ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigurationError(
                    f"periodic task {task.name!r}: unknown tz {tz!r}"
                ) from None
        if every is not None:
            seconds = parse_duration(every)
            if seconds <= 0:
                raise ConfigurationError(f"periodic task {task.name!r}: every= must be > 0")
            return cls(task, every=seconds, timezone=zone)
        assert cron is not None
        module = _cronsim()
        try:
            module.CronSim(cron, datetime.now(zone))
        except module.CronSimError as error:
            raise ConfigurationError(
                f"periodic task {task.name!r}: {cron!r} is not a cron expression ({error}); "
                "five fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *'"
            ) from None
        return cls(task, cron=cron, timezone=zone)

    def latest(self, now: float) -> float:
        """The latest slot at or before `now`."""
        if self.every is not None:
            return math.floor(now / self.every) * self.every
        start = datetime.fromtimestamp(math.floor(now) + 1, self.timezone)
        return float(next(_cronsim().CronSim(self.cron, start, reverse=True)).timestamp())

    def following(self, now: float) -> float:
        """The first slot after `now`."""
        if self.every is not None:
            return (math.floor(now / self.every) + 1) * self.every
        start = datetime.fromtimestamp(math.floor(now), self.timezone)
        return float(next(_cronsim().CronSim(self.cron, start)).timestamp())

    def describe(self) -> str:
        if self.every is not None:
            return f"every {timedelta(seconds=self.every)}"
        return f"cron {self.cron!r} ({self.timezone})"


def firing_key(name: str, slot: float) -> str:
    """The idempotency key of one firing: `periodic:<name>:<slot in UTC, ISO 8601>`."""
    moment = datetime.fromtimestamp(slot, UTC)
    spec = "seconds" if slot == int(slot) else "milliseconds"
    return f"periodic:{name}:{moment.isoformat(timespec=spec)}"
