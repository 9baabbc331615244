"""Rate limits shared by every process that uses the store: `app.rate("login", "10/minute")`.

The store keeps a sliding log of grants and adds one only while fewer than the limit fall in
the period before it, in one serialized step: at most N grants in any window of the period,
however many processes ask at once.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from cargohold.errors import ConfigurationError, RateLimitedError
from cargohold.limits import check_name
from cargohold.records import RateDecision, RateRequest
from cargohold.units import format_duration, parse_duration

if TYPE_CHECKING:
    from cargohold.store.protocol import Store

_PERIODS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
}
_SPEC = re.compile(r"\s*(\d+)\s*/\s*(.+?)\s*")


def parse_rate(spec: str | tuple[int, float]) -> tuple[int, float]:
    """(limit, period in seconds) of "10/minute", "100/s", "5/10s" or (10, 60.0)."""
    if isinstance(spec, tuple):
        limit, period = int(spec[0]), float(spec[1])
    else:
        match = _SPEC.fullmatch(spec) if isinstance(spec, str) else None
        if match is None:
            raise ConfigurationError(
                f"rate {spec!r} is not N/PERIOD, such as '10/minute', '100/s' or '5/10s'"
            )
        limit = int(match.group(1))
        unit = match.group(2).lower()
        named = _PERIODS.get(unit.removesuffix("s") if len(unit) > 3 else unit)
        # Else a duration: ConfigurationError names the accepted forms.
        period = parse_duration(unit) if named is None else named
    if limit < 1 or period <= 0:
        raise ConfigurationError(f"rate {spec!r}: the limit must be >= 1 and the period > 0")
    return limit, period


class Rate:
    """At most `limit` grants in any `period` seconds (per key), across all processes."""

    def __init__(
        self, store: Callable[[], Store], name: str, spec: str | tuple[int, float], key: str = ""
    ) -> None:
        self._store = store
        self.name = check_name("rate", name)
        self.spec = spec
        self.limit, self.period = parse_rate(spec)
        self.key_value = str(key)

    def __repr__(self) -> str:
        key = f" key={self.key_value!r}" if self.key_value else ""
        return f"<Rate {self.name}{key} {self.limit}/{format_duration(self.period)}>"

    def key(self, value: object) -> Rate:
        """This rate for one key (an IP address, a user): each key has its own budget."""
        return Rate(self._store, self.name, (self.limit, self.period), key=str(value))

    @property
    def request(self) -> RateRequest:
        return RateRequest(self.name, self.key_value, self.limit, self.period)

    def check(self) -> RateDecision:
        """Take a grant if the rate allows one now; the decision says when, or how long to
        wait. Never raises for a refusal."""
        store = self._store()
        return store.acquire_rate([self.request], store.now())

    def try_acquire(self) -> float:
        """0.0 if granted; else the seconds to wait before asking again (nothing taken)."""
        decision = self.check()
        return 0.0 if decision.granted else decision.wait

    def acquire(self) -> float:
        """Take a grant (returns its time) or raise RateLimitedError with `retry_after`."""
        decision = self.check()
        if not decision.granted:
            key = f" for {self.key_value!r}" if self.key_value else ""
            raise RateLimitedError(
                f"rate limit {self.name!r}{key} ({self.limit} per "
                f"{format_duration(self.period)}) is used up; try again in "
                f"{format_duration(decision.wait)}",
                retry_after=decision.wait,
            )
        return decision.at

    def wait(self, timeout: float | None = None) -> float:
        """Take a grant, sleeping until the rate allows one (at most `timeout` seconds, then
        RateLimitedError); returns the grant's time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            decision = self.check()
            if decision.granted:
                return decision.at
            if deadline is not None and time.monotonic() + decision.wait > deadline:
                raise RateLimitedError(
                    f"rate limit {self.name!r} would not grant within {timeout:g}s",
                    retry_after=decision.wait,
                )
            time.sleep(decision.wait)

    async def acquire_async(self) -> float:
        """`acquire` for asyncio code."""
        return await asyncio.to_thread(self.acquire)
