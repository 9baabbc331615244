"""How attempts end: reports from runners, runners that died, timeouts, memory kills, lost
leases and cancel requests, each turned into an outcome for the supervisor to persist."""

from __future__ import annotations

import logging
import random
import signal
from typing import TYPE_CHECKING, Any

from cargohold.outcome import Cancelled, HandedBack, Outcome
from cargohold.policy import (
    Backoff,
    Failure,
    decide,
    decide_crash,
    decide_failure,
    decide_memory_kill,
)
from cargohold.records import Claim, HeartbeatReply, ProgressUpdate
from cargohold.units import format_size
from cargohold.worker.messages import ProgressReport, RunReport
from cargohold.worker.runners import Runner, RunnerPool

if TYPE_CHECKING:
    from cargohold.worker.supervisor import Supervisor

log = logging.getLogger("cargohold.worker")

UNSTARTED = "its runner stopped before it started the job; not counted"
MAX_CRASHES = 3
"""A job that kills its runner this many times is failed as poison, whatever retries remain."""


class Endings:
    def __init__(self, supervisor: Supervisor, rng: random.Random) -> None:
        self.supervisor = supervisor
        self.rng = rng

    @property
    def pool(self) -> RunnerPool:
        return self.supervisor.pool

    def collect(self, now: float) -> None:
        """Read what runners reported; account for the ones that died."""
        for runner in list(self.pool.runners):
            if runner.current is None:
                if not runner.alive:
                    self.pool.retire(runner)
                continue
            try:
                messages = []
                while runner.readable():
                    messages.append(runner.connection.recv())
            except (EOFError, OSError):
                runner.process.join(1.0)
            if any(isinstance(message, RunReport) for message in messages):
                # Once for all of them, and at most once per sampling interval: quick jobs
                # report by the dozen, and the runner measures each job's own peak.
                self.supervisor.memory.sample(runner.memory, fresh=False)
            for message in messages:
                if runner.current is not None:
                    self._receive(runner, message, now)
            if runner.current is not None and not runner.alive:
                self._died(runner, now)

    def _receive(self, runner: Runner, message: Any, now: float) -> None:
        assert runner.current is not None
        claim = runner.current.claim
        if isinstance(message, ProgressReport):
            self.supervisor.record_progress(
                ProgressUpdate(
                    claim.id, claim.lease_token, message.current, message.total, message.message
                )
            )
        elif isinstance(message, RunReport):
            runner.resources = message.resources
            # A quick job may report no peak of its own (the next job's covers it): it then
            # teaches its task nothing, unless sampling saw it grow.
            sampled = runner.memory.peak
            peak = message.peak_memory if not sampled else max(message.peak_memory or 0, sampled)
            outcome = decide(message, claim, now=now, backoff=self._backoff(claim), rng=self.rng)
            self.supervisor.finish(runner, outcome, peak, now=now)
            self._recycle_if_worn(runner)

    def _died(self, runner: Runner, now: float) -> None:
        assert runner.current is not None
        running = runner.current
        memory_control = self.supervisor.memory
        reason = memory_control.killed_for_memory(runner.memory)
        outcome: Outcome
        if reason is None and self._killed_by_the_kernel_for_the_container(runner):
            if runner.memory.peak > running.reservation:
                reason = (
                    f"the container ran out of memory while it used "
                    f"{format_size(runner.memory.peak)}, over its "
                    f"{format_size(running.reservation)} reservation"
                )
            else:
                outcome = HandedBack(
                    f"stopped by the kernel to protect the container while it stayed within "
                    f"its {format_size(running.reservation)} reservation; not counted"
                )
                self._end(runner, outcome)
                return
        if reason is not None:
            outcome = self._memory_outcome(
                running.claim, reason, running.reservation, runner.memory.peak, now
            )
        else:
            outcome = decide_crash(
                running.claim,
                runner.describe_exit(),
                max_crashes=MAX_CRASHES,
                now=now,
                backoff=self._backoff(running.claim),
                rng=self.rng,
            )
        log.warning(
            "job %s (%s): %s",
            running.claim.id,
            running.claim.task,
            reason or runner.describe_exit(),
        )
        self._end(runner, outcome)

    def _killed_by_the_kernel_for_the_container(self, runner: Runner) -> bool:
        return (
            runner.process.exitcode == -signal.SIGKILL
            and self.supervisor.memory.host_oom_kills() > runner.memory.host_oom_kills_at_start
        )

    def _memory_outcome(
        self, claim: Claim, reason: str, reserved: int, peak: int, now: float
    ) -> Outcome:
        memory = self.supervisor.memory
        limit = f"limit {format_size(memory.limit.limit)}: {memory.limit.source}"
        return decide_memory_kill(
            claim,
            reason,
            reserved=reserved,
            peak=peak,
            # The best capacity seen lately, not this instant's: a runner that was just
            # killed may still hold memory, and failing a job for good is forever.
            budget=memory.best_capacity,
            limit=limit,
            now=now,
        )

    def kill_for_memory(self, runner: Runner, now: float) -> None:
        """The watchdog caught a job past its reservation: kill it and say why."""
        assert runner.current is not None
        running = runner.current
        reason = runner.memory.killed_for_memory or "over its reservation"
        runner.kill()
        log.warning("job %s (%s): %s", running.claim.id, running.claim.task, reason)
        self._end(
            runner,
            self._memory_outcome(
                running.claim, reason, running.reservation, runner.memory.peak, now
            ),
        )

    def stop_to_protect_host(self, runner: Runner, reason: str) -> None:
        """The container guard stops a job that did nothing wrong: it goes back, uncounted."""
        assert runner.current is not None
        log.warning("job %s stopped to protect the host: %s", runner.current.claim.id, reason)
        runner.kill()
        self._end(runner, HandedBack(f"stopped to protect the host ({reason}); not counted"))

    def enforce_deadlines(self, now: float) -> None:
        for runner in list(self.pool.busy):
            running = runner.current
            if running is None or running.deadline is None or now < running.deadline:
                continue
            claim = running.claim
            runner.kill()
            failure = Failure(f"timed out after {claim.timeout:g}s; its runner was killed")
            log.warning("job %s (%s) %s", claim.id, claim.task, failure.error)
            self._end(
                runner,
                decide_failure(
                    attempt=claim.attempt,
                    max_attempts=claim.max_attempts,
                    failure=failure,
                    now=now,
                    backoff=self._backoff(claim),
                    rng=self.rng,
                ),
            )

    def apply_heartbeat(self, reply: HeartbeatReply) -> None:
        for runner in list(self.pool.busy):
            assert runner.current is not None
            claim = runner.current.claim
            if claim.id not in reply.held:
                log.error("job %s: lease lost; stopping it without writing", claim.id)
                runner.kill()
                runner.promote_following(0.0)
                while runner.current is not None:  # jobs sent to follow, never started
                    if runner.current.claim.id in reply.held:
                        self.supervisor.finish(runner, HandedBack(UNSTARTED))
                    else:
                        runner.promote_following(0.0)
                self.supervisor.memory.end_job(runner.memory)
                self.pool.retire(runner)
            elif claim.id in reply.cancel_requested:
                log.info("job %s: cancelled on request; stopping its runner", claim.id)
                runner.kill()
                self._end(runner, Cancelled("cancelled on request while running"))

    def _end(self, runner: Runner, outcome: Outcome) -> None:
        """Record the outcome of a runner that is dead or killed, and let it go."""
        peak = runner.memory.peak
        self.supervisor.finish(runner, outcome, peak or None)
        while runner.current is not None:  # jobs sent to follow, which never started
            self.supervisor.finish(runner, HandedBack(UNSTARTED))
        self.pool.retire(runner)

    def _recycle_if_worn(self, runner: Runner) -> None:
        settings = self.supervisor.settings
        worn_out = settings.max_runner_jobs and runner.jobs_done >= settings.max_runner_jobs
        resources = [self.supervisor.app.resources[name] for name in runner.resources]
        # Resources are meant to stay: their memory is not growth. One of unknown size
        # makes growth impossible to judge, so such a runner is not recycled for it.
        allowance = sum(r.memory or 0 for r in resources)
        grown = all(r.memory is not None for r in resources) and (
            self.supervisor.memory.usage(runner.memory)  # sampled as the report came
            > runner.memory.fresh_usage + settings.recycle_growth + allowance
        )
        if (worn_out or grown) and runner.current is not None:
            runner.worn = True  # recycled once its following job is done
            return
        if worn_out or grown:
            log.info(
                "recycling runner %d after %d job(s)%s",
                runner.pid,
                runner.jobs_done,
                " (it grew)" if grown else "",
            )
            self.pool.retire(runner, kill=False)

    def _backoff(self, claim: Claim) -> Backoff:
        task = self.supervisor.app.tasks.get(claim.task)
        return task.backoff if task is not None else Backoff()
