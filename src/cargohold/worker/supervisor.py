"""The supervisor: claims jobs, hands them to runner processes, and persists what happened.

One `tick(now)` does a full round of work with no waiting; `run()` repeats it and sleeps
until a runner reports, a producer wakes it, or the poll interval passes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import wait
from types import FrameType
from typing import TYPE_CHECKING, Any

from cargohold.ids import new_worker_id
from cargohold.outcome import Cancelled, Failed, HandedBack, Outcome
from cargohold.policy import Backoff, Failure, decide, decide_crash, decide_failure
from cargohold.records import Ack, Claim, ProgressUpdate, WorkerInfo
from cargohold.settings import Settings
from cargohold.worker.messages import ProgressReport, RunReport
from cargohold.worker.runners import Runner

if TYPE_CHECKING:
    from cargohold.app import App
    from cargohold.store.protocol import Wakeup

log = logging.getLogger("cargohold.worker")

MAX_CRASHES = 3
"""A job that kills its runner this many times is failed as poison, whatever retries remain."""
PROGRESS_FLUSH_INTERVAL = 0.2
STALE_WORKER_AFTER_LEASES = 10
MAX_STORE_RETRY_PAUSE = 5.0


class Supervisor:
    def __init__(self, app: App, settings: Settings, *, rng: random.Random | None = None):
        self.app = app
        self.settings = settings
        self.store = app.store
        self.worker_id = new_worker_id()
        self.outcomes: Counter[str] = Counter()
        """How many attempts ended in each outcome (succeeded, retrying, failed...)."""
        self._rng = rng or random.Random()
        self._runners: list[Runner] = []
        self._acks: list[Ack] = []
        self._progress: dict[str, ProgressUpdate] = {}
        self._next_heartbeat = 0.0
        self._next_rescue = 0.0
        self._next_progress_flush = 0.0
        self._stopping = False
        self._stop_deadline: float | None = None
        self._wakeup: Wakeup | None = None
        self._signal_socket: socket.socket | None = None
        self._signal_sender: socket.socket | None = None
        self._started = False
        self._store_failures = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, now: float | None = None) -> None:
        """Register, rescue what dead workers left behind, and start the runners."""
        now = self.store.now() if now is None else now
        self.store.register_worker(
            WorkerInfo(
                id=self.worker_id,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                queues=self.settings.queues,
                concurrency=self.settings.concurrency,
                started_at=now,
                last_seen=now,
            )
        )
        self._wakeup = self.store.wakeup()
        self._runners = [Runner(self.app, n) for n in range(self.settings.concurrency)]
        self._started = True
        self._rescue(now)
        log.info(
            "worker %s started: %d runners, queues %s, store %s",
            self.worker_id,
            self.settings.concurrency,
            ",".join(self.settings.queues or ["*"]),
            self.store.url,
        )

    def request_stop(self, *, grace: float | None = None) -> None:
        """Stop claiming; running jobs get `grace` seconds (default: the setting) to finish."""
        if not self._stopping:
            log.info("worker %s stopping: no new claims", self.worker_id)
        self._stopping = True
        grace = self.settings.grace if grace is None else grace
        deadline = time.monotonic() + grace
        if self._stop_deadline is None or deadline < self._stop_deadline:
            self._stop_deadline = deadline

    @property
    def running_jobs(self) -> list[Claim]:
        return [r.current.claim for r in self._runners if r.current is not None]

    @property
    def stopped(self) -> bool:
        return self._stopping and not self.running_jobs and not self._acks

    def run(self) -> None:
        """Work until SIGTERM or SIGINT, then shut down gracefully."""
        self._install_signal_handlers()
        try:
            self.start()
            while not self.stopped:
                self.step()
        finally:
            self.shutdown()

    def step(self, max_wait: float | None = None) -> None:
        """One tick, then wait for something to do (at most `max_wait` seconds)."""
        now = self.store.now()
        try:
            self.tick(now)
        except Exception:
            # The store is unreachable or failing: keep the runners going, keep what they
            # reported, and try again shortly. Leases protect the jobs meanwhile.
            self._store_failures += 1
            pause = min(0.1 * 2**self._store_failures, MAX_STORE_RETRY_PAUSE)
            log.exception(
                "store error (%d in a row); retrying in %.1fs", self._store_failures, pause
            )
            time.sleep(pause)  # not _wait(): a readable runner pipe would make it spin
            return
        self._store_failures = 0
        if self._stopping:
            assert self._stop_deadline is not None
            if time.monotonic() >= self._stop_deadline:
                self._hand_back_running("worker shut down before the job finished")
                self._flush(self.store.now())
                return
        timeout = self._seconds_to_next_duty(now)
        if max_wait is not None:
            timeout = min(timeout, max_wait)
        self._wait(timeout)

    def shutdown(self) -> None:
        """Hand back whatever still runs, stop the runners, unregister."""
        if not self._started:
            return
        self._started = False
        self._hand_back_running("worker shut down before the job finished")
        self._flush(self.store.now())
        for runner in self._runners:
            runner.stop()
        self._runners = []
        if self._wakeup is not None:
            self._wakeup.close()
        self.store.unregister_worker(self.worker_id)
        if self._signal_socket is not None:
            signal.set_wakeup_fd(-1)
            self._signal_socket.close()
            if self._signal_sender is not None:
                self._signal_sender.close()
        log.info("worker %s stopped", self.worker_id)

    # -- one round ---------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Keep leases, collect reports, enforce timeouts, persist outcomes, claim new work."""
        if now >= self._next_heartbeat:
            # First: after a long stall (a frozen process) the leases may be gone, and a
            # job that lost its lease must be stopped before anything else happens.
            self._heartbeat(now)
        self._collect(now)
        self._enforce_deadlines(now)
        if self._stopping:
            self._flush(now)
        else:
            self._flush_and_claim(now)
        if now >= self._next_rescue:
            self._rescue(now)
            if not self._stopping:
                self._flush_and_claim(now)

    def _collect(self, now: float) -> None:
        for runner in self._runners:
            if runner.current is None:
                if not runner.alive:
                    self._replace(runner)
                continue
            try:
                while runner.current is not None and runner.connection.poll():
                    self._receive(runner, runner.connection.recv(), now)
            except (EOFError, OSError):
                runner.process.join(1.0)
            if runner.current is not None and not runner.alive:
                claim = runner.current.claim
                outcome = decide_crash(
                    claim,
                    runner.describe_exit(),
                    max_crashes=MAX_CRASHES,
                    now=now,
                    backoff=self._backoff(claim),
                    rng=self._rng,
                )
                log.warning("job %s (%s): %s", claim.id, claim.task, runner.describe_exit())
                self._finish(runner, outcome)
                self._replace(runner)

    def _receive(self, runner: Runner, message: Any, now: float) -> None:
        assert runner.current is not None
        claim = runner.current.claim
        if isinstance(message, ProgressReport):
            self._progress[claim.id] = ProgressUpdate(
                claim.id, claim.lease_token, message.current, message.total, message.message
            )
        elif isinstance(message, RunReport):
            outcome = decide(message, claim, now=now, backoff=self._backoff(claim), rng=self._rng)
            self._finish(runner, outcome)
            self._recycle_if_worn(runner)

    def _enforce_deadlines(self, now: float) -> None:
        for runner in self._runners:
            running = runner.current
            if running is None or running.deadline is None or now < running.deadline:
                continue
            claim = running.claim
            runner.kill()
            failure = Failure(f"timed out after {claim.timeout:g}s; its runner was killed")
            log.warning("job %s (%s) %s", claim.id, claim.task, failure.error)
            self._finish(
                runner,
                decide_failure(
                    attempt=claim.attempt,
                    max_attempts=claim.max_attempts,
                    failure=failure,
                    now=now,
                    backoff=self._backoff(claim),
                    rng=self._rng,
                ),
            )
            self._replace(runner)

    def _flush(self, now: float) -> None:
        """Persist the outcomes and progress collected so far."""
        self._flush_and_claim(now, claim=False)

    def _flush_and_claim(self, now: float, *, claim: bool = True) -> None:
        """Persist outcomes and claim work for idle runners, in one store transaction."""
        idle = [runner for runner in self._runners if runner.idle] if claim else []
        acks = list(self._acks)
        last_words = [self._progress[a.job_id] for a in acks if a.job_id in self._progress]
        if last_words:  # persist a finished job's final progress before it stops running
            self.store.record_progress(last_words)
        claims: list[Claim] = []
        if idle:
            accepted, claims = self.store.ack_and_claim(
                self.worker_id, acks, self.settings.queues, len(idle), self.settings.lease, now
            )
        elif acks:
            accepted = self.store.ack(self.worker_id, acks, now)
        else:
            accepted = []
        # Only now forget them: if the store failed, the next tick tries again.
        del self._acks[: len(acks)]
        for ack, ok in zip(acks, accepted, strict=True):
            self._progress.pop(ack.job_id, None)
            if not ok:
                log.warning("job %s: outcome refused, the lease was lost", ack.job_id)
        self._dispatch(claims, idle, now)
        if self._progress and (now >= self._next_progress_flush or self._stopping):
            updates, self._progress = list(self._progress.values()), {}
            self.store.record_progress(updates)
            self._next_progress_flush = now + PROGRESS_FLUSH_INTERVAL

    def _heartbeat(self, now: float) -> None:
        reply = self.store.heartbeat(self.worker_id, self.settings.lease, now)
        self._next_heartbeat = now + self.settings.heartbeat
        for runner in self._runners:
            if runner.current is None:
                continue
            claim = runner.current.claim
            if claim.id not in reply.held:
                log.error("job %s: lease lost; stopping it without writing", claim.id)
                runner.kill()
                runner.current = None
                self._replace(runner)
            elif claim.id in reply.cancel_requested:
                log.info("job %s: cancelled on request; stopping its runner", claim.id)
                runner.kill()
                self._finish(runner, Cancelled("cancelled on request while running"))
                self._replace(runner)

    def _rescue(self, now: float) -> None:
        report = self.store.rescue(self.worker_id, now)
        self._next_rescue = now + self.settings.rescue_interval
        if report.requeued or report.failed:
            log.warning(
                "rescued %d job(s) from dead workers; %d failed on their last attempt",
                len(report.requeued),
                len(report.failed),
            )
        self.store.forget_stale_workers(now - STALE_WORKER_AFTER_LEASES * self.settings.lease)

    def _dispatch(self, claims: list[Claim], idle: list[Runner], now: float) -> None:
        for claim in claims:
            if claim.task not in self.app.tasks:
                self.outcomes["failed"] += 1
                self._acks.append(
                    Ack(
                        claim.id,
                        claim.lease_token,
                        Failed(
                            f"no task named {claim.task!r} is registered in this worker's app; "
                            "nothing was run"
                        ),
                    )
                )
                continue
            idle.pop().send(claim, now)

    # -- helpers -----------------------------------------------------------------------------

    def _finish(self, runner: Runner, outcome: Outcome) -> None:
        assert runner.current is not None
        claim = runner.current.claim
        runner.current = None
        runner.jobs_done += 1
        self.outcomes[type(outcome).__name__.lower()] += 1
        self._acks.append(Ack(claim.id, claim.lease_token, outcome))

    def _backoff(self, claim: Claim) -> Backoff:
        task = self.app.tasks.get(claim.task)
        return task.backoff if task is not None else Backoff()

    def _replace(self, runner: Runner) -> None:
        if runner.alive:
            runner.kill()
        index = self._runners.index(runner)
        self._runners[index] = Runner(self.app, runner.number)

    def _recycle_if_worn(self, runner: Runner) -> None:
        limit = self.settings.max_runner_jobs
        if limit and runner.jobs_done >= limit and runner.current is None:
            runner.stop()
            self._replace(runner)

    def _hand_back_running(self, reason: str) -> None:
        for runner in self._runners:
            if runner.current is not None:
                runner.kill()
                self._finish(runner, HandedBack(reason))

    def _seconds_to_next_duty(self, now: float) -> float:
        duties = [self._next_heartbeat, self._next_rescue]
        if not self._stopping:
            duties.append(now + self.settings.poll_interval)
        if self._progress:
            duties.append(self._next_progress_flush)
        for runner in self._runners:
            if runner.current is not None and runner.current.deadline is not None:
                duties.append(runner.current.deadline)
        seconds = min(duties) - now
        if self._stopping and self._stop_deadline is not None:
            seconds = min(seconds, self._stop_deadline - time.monotonic())
        return max(0.0, seconds)

    def _wait(self, timeout: float) -> None:
        watched: list[Any] = []
        for runner in self._runners:
            if runner.current is not None:
                watched += [runner.connection, runner.process.sentinel]
        if self._wakeup is not None and not self._stopping:
            watched.append(self._wakeup.fileno())
        if self._signal_socket is not None:
            watched.append(self._signal_socket.fileno())
        ready = wait(watched, timeout)
        if self._wakeup is not None and self._wakeup.fileno() in ready:
            self._wakeup.drain()
        if self._signal_socket is not None and self._signal_socket.fileno() in ready:
            with contextlib.suppress(BlockingIOError):
                self._signal_socket.recv(64)

    def _install_signal_handlers(self) -> None:
        receiver, sender = socket.socketpair()
        receiver.setblocking(False)
        sender.setblocking(False)
        self._signal_socket = receiver
        self._signal_sender = sender
        signal.set_wakeup_fd(sender.fileno(), warn_on_full_buffer=False)
        interrupts = 0

        def on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal interrupts
            interrupts += 1
            if interrupts > 1:  # asked twice: do not wait for the grace period
                self.request_stop(grace=0)
            else:
                self.request_stop()

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_signal)


def run_with_callback(
    supervisor: Supervisor, until: Callable[[], bool], every: float, callback: Callable[[], None]
) -> None:
    """Run `supervisor` until `until()` is true, calling `callback` every `every` seconds."""
    supervisor.start()
    try:
        while not until():
            supervisor.step(max_wait=every)
            callback()
    finally:
        supervisor.shutdown()
