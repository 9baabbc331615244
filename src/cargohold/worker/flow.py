"""The supervisor's flow-control duties: fire periodic schedules, prune old jobs (retention),
and hold back a claimed job whose rate limit is used up (it waits, snoozed, without losing an
attempt). Concurrency limits need nothing here: the claim takes their slots and the heartbeat
extends them."""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

from cargohold.errors import QueueFullError
from cargohold.outcome import Snoozed
from cargohold.periodic import firing_key
from cargohold.records import Claim, RateRequest
from cargohold.states import JobState
from cargohold.task import Call, EnqueueOptions
from cargohold.units import format_duration

if TYPE_CHECKING:
    from cargohold.worker.supervisor import Supervisor

log = logging.getLogger("cargohold.worker")

PRUNE_BATCH = 1000
"""Jobs deleted per statement: a short transaction that never stalls the other writers."""
PRUNE_ROUNDS = 20
UNDECLARED_RATE_RETRY = 60.0
FIRST_PRUNE_WITHIN = 60.0
"""Workers prune first at a random moment within this many seconds of starting."""


class FlowDuties:
    def __init__(self, supervisor: Supervisor, rng: random.Random) -> None:
        self.supervisor = supervisor
        self.rng = rng
        self.limits = supervisor.app.limit_capacities()
        """The concurrency of every limit this worker's app declares: what its claims take."""
        self._next_fire: dict[str, float] = {}
        self._next_prune: float | None = None

    @property
    def next_due(self) -> float:
        """When this side loop has something to do next."""
        due = list(self._next_fire.values())
        if self._next_prune is not None:
            due.append(self._next_prune)
        return min(due, default=float("inf"))

    def tick(self, now: float) -> None:
        self._fire_periodic(now)
        if self._next_prune is None:
            interval = self.supervisor.settings.prune_interval
            self._next_prune = now + self.rng.uniform(0, min(interval, FIRST_PRUNE_WITHIN))
        elif now >= self._next_prune:
            self._next_prune = now + self.supervisor.settings.prune_interval
            self.prune(now)

    # -- periodic jobs -----------------------------------------------------------------------

    def _fire_periodic(self, now: float) -> None:
        app = self.supervisor.app
        for name, schedule in app.schedules.items():
            if now < self._next_fire.get(name, 0.0):
                continue
            slot = schedule.latest(now)
            options = EnqueueOptions(key=firing_key(name, slot))
            job = app._new_job(Call(schedule.task, (), {}, options), now)
            try:
                fired = self.supervisor.store.fire_periodic(name, slot, job, now)
            except QueueFullError as full:
                log.warning("periodic task %s: firing of %s not enqueued: %s", name, slot, full)
                self._next_fire[name] = now + 1.0  # the compare-and-set rolled back: retry
                continue
            if fired is not None and fired.created:
                log.info("periodic task %s fired (%s): job %s", name, options.key, fired.id)
            self._next_fire[name] = schedule.following(now)

    # -- retention ---------------------------------------------------------------------------

    def prune(self, now: float) -> int:
        """Delete finished jobs past their retention; never a waiting or running one."""
        settings = self.supervisor.settings
        store = self.supervisor.store
        keys_before = now - settings.key_retention
        deleted = 0
        for state, age in (
            (JobState.SUCCEEDED, settings.retention),
            (JobState.CANCELLED, settings.retention),
            (JobState.FAILED, settings.failed_retention),
        ):
            if age <= 0:  # 0 keeps them for ever
                continue
            for _ in range(PRUNE_ROUNDS):
                count = store.prune(state, now - age, keys_before=keys_before, limit=PRUNE_BATCH)
                deleted += count
                if count < PRUNE_BATCH:
                    break
        if deleted:
            log.info("pruned %d finished job(s) past their retention", deleted)
        return deleted

    # -- rate limits -------------------------------------------------------------------------

    def admit(self, claim: Claim, now: float) -> Snoozed | None:
        """None if the claimed job may start (its rate grants are taken); else the snooze
        that puts it back until its rate allows it, without counting the attempt."""
        if not claim.rates:
            return None
        rates = self.supervisor.app.rates
        unknown = [name for name, _ in claim.rates if name not in rates]
        if unknown:
            return Snoozed(
                now + UNDECLARED_RATE_RETRY,
                f"rate limit(s) {unknown} are not declared by this worker's app; "
                "declare them with app.rate(name, 'N/period')",
            )
        requests = [
            RateRequest(name, key, rates[name].limit, rates[name].period)
            for name, key in claim.rates
        ]
        decision = self.supervisor.store.acquire_rate(requests, now)
        if decision.granted:
            return None
        names = ", ".join(repr(name if not key else f"{name}[{key}]") for name, key in claim.rates)
        shortest = min(r.period for r in requests)
        jitter = self.rng.uniform(0, min(1.0, shortest / 10))  # not all at once when it frees
        return Snoozed(
            now + decision.wait + jitter,
            f"rate limited: {names} used up; waits {format_duration(decision.wait)}",
        )
