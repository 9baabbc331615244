"""Jobs a worker claimed ahead of its free runners, and how far ahead it claims.

Claiming one transaction per finished job caps a worker at the store's commit rate. When
its jobs take milliseconds, the worker claims a batch ahead instead, keeps it here under
the batch's leases (which its heartbeats extend) and starts each job the moment a runner is
free, while outcomes are persisted in groups. Jobs that take longer are claimed one runner
at a time, as before, so that they stay in the shared queue, visible to other workers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from cargohold.records import Claim

QUICK_JOB = 0.02
"""A worker whose recent jobs ran this many seconds or less, on average, claims ahead."""
AHEAD_PER_RUNNER = 256
"""How many jobs a worker of quick jobs holds per runner, running or waiting here..."""
HELD_AT_MOST = 1024
"""...and in all, however many runners it has."""
PACE_WEIGHT = 0.2
"""Weight of the latest run in the moving average of run times."""


class ClaimedLine:
    """Claimed jobs waiting for a runner, first claimed first started."""

    def __init__(self) -> None:
        self._claims: deque[Claim] = deque()

    def __len__(self) -> int:
        return len(self._claims)

    def __iter__(self) -> Iterator[Claim]:
        return iter(self._claims)

    def extend(self, claims: list[Claim]) -> None:
        self._claims.extend(claims)

    def put_back(self, claim: Claim) -> None:
        """Return a job that could not start yet to the front, where it was."""
        self._claims.appendleft(claim)

    def next(self) -> Claim | None:
        return self._claims.popleft() if self._claims else None

    def remove(self, job_ids: set[str]) -> list[Claim]:
        """Take out the named jobs (lost leases, cancel requests); return them."""
        taken = [claim for claim in self._claims if claim.id in job_ids]
        if taken:
            self._claims = deque(claim for claim in self._claims if claim.id not in job_ids)
        return taken

    def clear(self) -> list[Claim]:
        claims, self._claims = list(self._claims), deque()
        return claims


class Pace:
    """A moving average of how long this worker's jobs run, which decides how far ahead
    it claims. It starts unknown (nothing is claimed ahead of a job never seen run)."""

    def __init__(self) -> None:
        self.average: float | None = None

    def observe(self, seconds: float) -> None:
        if self.average is None:
            self.average = seconds
        else:
            self.average += PACE_WEIGHT * (seconds - self.average)

    @property
    def quick(self) -> bool:
        return self.average is not None and self.average <= QUICK_JOB

    def jobs_to_hold(self, runners: int) -> int:
        """How many jobs to hold in all, running or claimed ahead, with `runners` runners."""
        return min(runners * AHEAD_PER_RUNNER, HELD_AT_MOST) if self.quick else runners
