"""How a supervisor feeds its runners from its line of claimed jobs: how many jobs to claim,
which runner starts the next job, and which busy runner a quick job is sent ahead to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargohold.records import Claim
from cargohold.worker.runners import FOLLOWING_DEPTH, Runner

if TYPE_CHECKING:
    from cargohold.worker.supervisor import Supervisor

MAX_CLAIM = 256
"""Jobs claimed in one transaction, at most."""


class Lineup:
    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def jobs_to_claim(self) -> int:
        """How many jobs to claim now: none while enough wait in the line."""
        supervisor = self.supervisor
        held = len(supervisor.running_jobs) + len(supervisor.line)
        target = supervisor.pace.jobs_to_hold(supervisor.pool.size)
        if not supervisor.pace.quick:
            return max(0, min(target, MAX_CLAIM) - held)
        if supervisor.unpersisted >= 2 * target:
            # Its outcomes are not getting persisted (the store stalls): claim nothing more
            # until they are, or a worker killed meanwhile would leave ever more to run again.
            return 0
        # Quick jobs: claim again as soon as there is room for half a batch, so that the
        # next batch comes before the runners have gone through what is held.
        room = target - held
        return min(room, MAX_CLAIM) if room >= MAX_CLAIM // 2 else 0

    def start(self, now: float) -> None:
        """Give waiting claimed jobs to free runners, and quick ones to busy runners to
        start as soon as their current job ends (sent in one message per runner)."""
        supervisor = self.supervisor
        following: dict[Runner, list[Claim]] = {}
        while supervisor.line and not supervisor.stopping:
            claim = supervisor.line.next()
            assert claim is not None
            if supervisor.pool.free_slots > 0:
                supervisor.dispatch(claim, now)
                continue
            runner = self._runner_to_follow(claim, following)
            if runner is None:
                supervisor.line.put_back(claim)
                break
            held_back = supervisor.flow.admit(claim, now)
            if held_back is not None:
                supervisor.reject(claim, held_back)
            else:
                following.setdefault(runner, []).append(claim)
        for runner, claims in following.items():
            runner.send_following(claims, now)

    def _runner_to_follow(self, claim: Claim, sending: dict[Runner, list[Claim]]) -> Runner | None:
        """The busy runner with the fewest jobs waiting that may run `claim` next."""
        supervisor = self.supervisor
        if not supervisor.pace.quick:
            return None
        most_jobs = supervisor.settings.max_runner_jobs
        best: Runner | None = None
        best_load = FOLLOWING_DEPTH
        for runner in supervisor.pool.busy:
            load = len(runner.following) + len(sending.get(runner, ()))
            if load >= best_load or not runner.can_follow(claim):
                continue
            if most_jobs and runner.jobs_done + load + 2 > most_jobs:
                continue  # it is recycled before it would get to this job
            best, best_load = runner, load
        return best
