"""The supervisor: claims jobs that fit in memory, hands them to runner processes, and
persists what happened.

One `tick(now)` does a full round of work with no waiting; `run()` repeats it and sleeps
until a runner reports, a producer wakes it, or a timer runs out.
"""

from __future__ import annotations

import gc
import logging
import os
import random
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cargohold.ids import new_worker_id
from cargohold.memory.admission import MemoryOffer, default_concurrency
from cargohold.outcome import Cancelled, Failed, HandedBack, Outcome
from cargohold.records import Ack, Claim, MemoryReport, ProgressUpdate, WorkerInfo
from cargohold.settings import Settings
from cargohold.units import format_size
from cargohold.worker.endings import Endings
from cargohold.worker.flow import FlowDuties
from cargohold.worker.line import ClaimedLine, Pace
from cargohold.worker.lineup import Lineup
from cargohold.worker.memory_control import MemoryControl
from cargohold.worker.rounds import Lane, Round, RoundResult
from cargohold.worker.runners import Runner, RunnerPool
from cargohold.worker.waiting import Waiter

if TYPE_CHECKING:
    from cargohold.app import App

log = logging.getLogger("cargohold.worker")

PROGRESS_FLUSH_INTERVAL = 0.2
ACK_GROUP = 256
"""Outcomes of quick jobs persisted together, at most."""
ACK_DELAY = 0.01
"""Seconds a quick job's outcome may wait for others to be persisted with it."""
QUICK_NAP = 0.001
"""Seconds the supervisor lets pass between rounds while runners have jobs lined up."""
STALE_WORKER_AFTER_LEASES = 10
MAX_STORE_RETRY_PAUSE = 5.0
SAMPLE_INTERVAL = 0.02
"""How often running jobs' memory is sampled (the watchdog and the container guard)."""
OTHERS_INTERVAL = 0.5
STARVE_AFTER = 10.0
"""Seconds the first job in line may be passed by smaller ones before the worker stops
admitting anything else until it fits."""
OFFER_LAPSES_AFTER_POLLS = 3
"""A standing offer lapses this many poll intervals after it was made, unless renewed (it
is, at every poll): a dead worker's offer is taken by no job after that."""


@dataclass(frozen=True, slots=True)
class BlockedHead:
    """The first job in line, which does not fit yet, and until when smaller ones may pass."""

    job_id: str
    need: int
    until: float


class Supervisor:
    def __init__(
        self,
        app: App,
        settings: Settings,
        *,
        rng: random.Random | None = None,
        app_reference: str | None = None,
    ):
        """`app_reference` ("module:attribute") makes runners start fresh and import the app
        instead of being forked: needed when this process runs other threads."""
        self.app = app
        self.settings = settings
        self.store = app.store
        self.worker_id = new_worker_id()
        self.memory = MemoryControl(settings.memory, settings.memory_headroom)
        self.outcomes: Counter[str] = Counter()
        """How many attempts ended in each outcome (succeeded, retrying, failed...)."""
        self.pool = RunnerPool(app, self.memory, settings.concurrency or 1, app_reference)
        self.endings = Endings(self, rng or random.Random())
        self.flow = FlowDuties(self, rng or random.Random())
        self._acks: list[Ack] = []
        self._outcomes_lane = Lane()
        """Where quick jobs' outcomes are persisted (with the next claim, in one transaction,
        unless the store takes claims on a lane of their own)."""
        self._claims_lane = Lane() if self.store.concurrent_writes else self._outcomes_lane
        self._oldest_ack = 0.0
        """When the first of the outcomes waiting in `_acks` was added (monotonic clock)."""
        self.line = ClaimedLine()
        """Jobs claimed ahead, waiting for a runner (only while jobs are quick)."""
        self.pace = Pace()
        self.lineup = Lineup(self)
        self._progress: dict[str, ProgressUpdate] = {}
        self._next_heartbeat = self._next_rescue = self._next_progress_flush = 0.0
        self._next_sample = self._next_others = 0.0
        self._paused_until = 0.0
        self._blocked_head: BlockedHead | None = None
        self._standing: str | None = None
        """The lease token of this worker's standing offer (`Store.stand_offer`), if any."""
        self._offers = True
        """Whether the store hands jobs to standing offers (until it says it does not)."""
        self._found_nothing = False
        """The last claim found nothing, and no producer woke the worker since it began."""
        self._came_up_empty: tuple[float, int, int] | None = None
        """The last claim came back short and no wake-up was heard while it ran (the queue
        looked empty): when its result was taken, the wake-ups heard when it began, and the
        attempts ended by then (`_ended`). None after any other claim."""
        self._stopping = False
        self._stop_deadline: float | None = None
        self._waiter = Waiter(None)
        self._started = False
        self._store_failures = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, now: float | None = None) -> None:
        """Measure the memory budget, register, rescue what dead workers left, start a runner."""
        now = self.store.now() if now is None else now
        self.memory.observe_others([])
        self.pool.size = self.settings.concurrency or default_concurrency(self.memory.capacity)
        self.store.register_worker(
            WorkerInfo(
                id=self.worker_id,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                queues=self.settings.queues,
                concurrency=self.pool.size,
                started_at=now,
                last_seen=now,
                memory_budget=self.memory.capacity,
                memory_free=self.memory.capacity,
            )
        )
        try:
            self._waiter.wakeup = self.store.wakeup(self.worker_id)
        except OSError as error:  # wake-ups are an optimisation: polling still finds work
            log.warning(
                "no wake-ups from producers (%s); polling every %.1fs",
                error,
                self.settings.poll_interval,
            )
        # Objects that exist now are never collected in runners: their pages stay shared
        # with the supervisor instead of being copied by a runner's garbage collector.
        gc.freeze()
        self.pool.start_one()
        # What else uses memory, now with a runner forked from this process in place.
        self.memory.observe_others(self.pool.memories())
        self._next_others = time.monotonic() + OTHERS_INTERVAL
        self._started = True
        self._rescue(now)
        log.info(
            "worker %s started: up to %d runners, queues %s, memory for jobs %s (%s), store %s",
            self.worker_id,
            self.pool.size,
            ",".join(self.settings.queues or ["*"]),
            format_size(self.memory.capacity),
            self.memory.limit.source,
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
        """Jobs given to runners, started or following."""
        return [
            running.claim
            for runner in self.pool.busy
            for running in (runner.current, *runner.following)
            if running is not None
        ]

    @property
    def standing_offer(self) -> str | None:
        """The lease token of this worker's standing offer (`Store.stand_offer`), if any."""
        return self._standing

    @property
    def stopping(self) -> bool:
        """Asked to stop: it claims nothing more."""
        return self._stopping

    @property
    def stopped(self) -> bool:
        return (
            self._stopping
            and not self.pool.busy
            and not self._acks
            and not self.line
            and not self.persisting
            and self._standing is None
        )

    @property
    def unpersisted(self) -> int:
        """Outcomes collected and not persisted yet, in flight or waiting."""
        in_flight = self._outcomes_lane.round
        return len(self._acks) + (0 if in_flight is None else len(in_flight.acks))

    @property
    def persisting(self) -> bool:
        """A store transaction is in flight on a committer's thread."""
        return any(lane.busy for lane in self._lanes)

    @property
    def _lanes(self) -> list[Lane]:
        if self._claims_lane is self._outcomes_lane:
            return [self._outcomes_lane]
        return [self._outcomes_lane, self._claims_lane]

    def run(self) -> None:
        """Work until SIGTERM or SIGINT, then shut down gracefully."""
        self._waiter.on_stop_signals(
            lambda count: self.request_stop(grace=0 if count > 1 else None)
        )
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
            time.sleep(pause)  # not the waiter: a readable runner pipe would make it spin
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
        if any(runner.following for runner in self.pool.busy):
            # Runners have quick jobs lined up: let their reports gather rather than wake
            # for each one (every wake-up costs more than the job).
            time.sleep(min(timeout, QUICK_NAP))
            return
        watched: list[Any] = [lane.fileno() for lane in self._lanes if lane.busy]
        for runner in self.pool.busy:
            watched += [runner.connection, runner.process.sentinel]
        self._waiter.wait(watched, timeout, listen=not self._stopping)

    def shutdown(self) -> None:
        """Hand back whatever still runs, stop the runners, unregister."""
        if not self._started:
            self.memory.close()
            return
        self._started = False
        try:
            self._settle(self.store.now())
            self._withdraw_offer()
            self._hand_back_line("worker shut down before the job started")
        finally:
            self._hand_back_running("worker shut down before the job finished")
            self._flush(self.store.now())
            for lane in self._lanes:
                lane.close()
        self.pool.stop_all()
        self.memory.close()
        self._waiter.close()
        self.store.unregister_worker(self.worker_id)
        log.info("worker %s stopped", self.worker_id)

    # -- one round ---------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Keep leases, collect reports, persist outcomes, claim new work, watch memory."""
        if now >= self._next_heartbeat:
            # First: after a long stall (a frozen process) the leases may be gone, and a
            # job that lost its lease must be stopped before anything else happens.
            self._heartbeat(now)
        self.endings.collect(now)
        self.endings.enforce_deadlines(now)
        self._receive_handed()
        if self._stopping:
            self._withdraw_offer()
            self._hand_back_line("worker shut down before the job started")
            self._flush(now)
        else:
            self._flush_and_claim(now, news=not self._nothing_new(now))
        # After the claim: an idle worker woken by a new job starts it first. Admission
        # counts what every runner holds; the watch and the guard are the backstop.
        self._watch_memory(now)
        if now >= self._next_rescue:
            self._rescue(now)
            if not self._stopping:
                self._flush_and_claim(now)
        if not self._stopping:
            if now >= self.flow.next_due:
                self._settle(now)
            self.flow.tick(now)
            self._stand_offer(now)

    def finish(
        self, runner: Runner, outcome: Outcome, peak: int | None = None, *, now: float = 0.0
    ) -> None:
        """Record how the runner's attempt ended, to be persisted at the next flush. A job
        sent to follow it is running now."""
        assert runner.current is not None
        claim = runner.current.claim
        duration = time.monotonic() - runner.current.began
        runner.promote_following(now)
        runner.jobs_done += 1
        runner.last_used = time.monotonic()
        if runner.current is None:
            self.memory.end_job(runner.memory)
        else:  # the follower runs under the same limit: its own peak starts from here
            runner.memory.peak = 0
        if not isinstance(outcome, HandedBack):
            self.pace.observe(duration)
        self.outcomes[type(outcome).__name__.lower()] += 1
        self._add_ack(
            Ack(claim.id, claim.lease_token, outcome, peak_memory=peak, duration=duration)
        )

    def _add_ack(self, ack: Ack) -> None:
        if not self._acks:
            self._oldest_ack = time.monotonic()
        self._acks.append(ack)

    def record_progress(self, update: ProgressUpdate) -> None:
        self._progress[update.job_id] = update

    def _flush(self, now: float) -> None:
        """Persist the outcomes and progress collected so far."""
        self._flush_and_claim(now, claim=False)

    def _flush_and_claim(self, now: float, *, claim: bool = True, news: bool = True) -> None:
        """Start what waits in the line; persist outcomes and claim work that fits when either
        is due. While jobs are quick, the transactions run on the committers' threads (see
        `rounds`) and this returns at once; a tick after one is done takes its result (a
        claim, outcomes refused). `news=False`: nothing happened since the last claim that
        could make work claimable (`_nothing_new`), so no claim is made."""
        came_short = self._take_results(now, wait=self._stopping or not claim)
        # A claim that came back short found the queue empty: the next one waits for a
        # producer's wake-up or the poll interval, as any claim does.
        claiming = claim and news and not came_short and not self._claims_lane.busy
        if claiming:
            self._withdraw_offer()  # what it holds back is for this claim to count
        self.lineup.start(now)
        offer = self._offer(now) if claiming else None
        wanted = self.lineup.jobs_to_claim() if offer is not None else 0
        acking = not self._outcomes_lane.busy and self._acks_due(claim)
        if not (wanted or acking):
            self._flush_progress(now)
            return
        acks = list(self._acks) if acking else []
        last_words = [self._progress[a.job_id] for a in acks if a.job_id in self._progress]
        if last_words:  # persist a finished job's final progress before it stops running
            self.store.record_progress(last_words)
        # Until the transaction returns, the outcomes stay the worker's (their leases are
        # still extended); if it fails, they go back to be persisted by the next one.
        del self._acks[: len(acks)]
        rounds: list[tuple[Lane, Round]]
        if acks and wanted and self._claims_lane is not self._outcomes_lane:
            rounds = [
                (self._outcomes_lane, Round(acks, None, 0)),
                (self._claims_lane, Round([], offer, wanted, self._waiter.wakeups)),
            ]
        else:
            lane = self._outcomes_lane if acks else self._claims_lane
            rounds = [(lane, Round(acks, offer, wanted, self._waiter.wakeups))]
        quick = claim and self.pace.quick and not self._stopping
        for lane, store_round in rounds:
            # A claim while no runner is busy (an idle worker woken by a new job) runs here:
            # handing it to the thread would only add a thread switch to the time the job
            # waits to start.
            if quick and (store_round.acks or self.pool.busy):
                lane.submit(store_round, self._round_work(store_round, now))
            else:
                self._run_round(store_round, now)

    def _round_work(self, store_round: Round, now: float) -> Callable[[], RoundResult]:
        return lambda: self._persist_and_claim(store_round, now)

    def _run_round(self, store_round: Round, now: float) -> None:
        try:
            result = self._persist_and_claim(store_round, now)
        except BaseException:
            self._acks[:0] = store_round.acks
            raise
        self._apply(store_round, result, now)

    def _persist_and_claim(self, store_round: Round, now: float) -> RoundResult:
        """The store transaction of one round (on whichever thread runs it)."""
        acks = store_round.acks
        if store_round.claiming:
            return self.store.ack_and_claim(
                self.worker_id,
                acks,
                self.settings.queues,
                store_round.wanted,
                self.settings.lease,
                now,
                memory=store_round.offer,
                limits=self.flow.limits,
            )
        return (self.store.ack(self.worker_id, acks, now) if acks else []), []

    def _settle(self, now: float) -> bool:
        """Wait for the transactions in flight, if any, and take their results; whether a
        claim came back short. Every other store call waits for them first."""
        return self._take_results(now, wait=True)

    def _take_results(self, now: float, *, wait: bool) -> bool:
        """Take the result of each round that is done (`wait`: of each in flight, waiting for
        it); whether a claim came back short."""
        came_short = False
        for lane in self._lanes:
            if not (lane.done or (wait and lane.busy)):
                continue
            store_round = lane.round
            assert store_round is not None
            try:
                result = lane.take()
            except BaseException:
                self._acks[:0] = store_round.acks
                raise
            came_short = self._apply(store_round, result, now) or came_short
        return came_short

    def _apply(self, store_round: Round, result: RoundResult, now: float) -> bool:
        """What a persisted round means: outcomes refused for lost leases, jobs claimed;
        whether the queue looked empty: fewer jobs came than it asked for, and no producer
        woke the worker meanwhile (a wake-up heard while the claim was in flight may be
        for a job it did not see, and there will be no other)."""
        accepted, claims = result
        for ack, ok in zip(store_round.acks, accepted, strict=True):
            self._progress.pop(ack.job_id, None)
            if not ok:
                log.warning("job %s: outcome refused, the lease was lost", ack.job_id)
        self.line.extend(claims)
        self.lineup.start(now)
        came_short = store_round.wanted > len(claims)
        if store_round.wanted:
            quiet = self._waiter.wakeups == store_round.wakeups
            self._found_nothing = not claims and quiet
            empty = came_short and quiet
            self._came_up_empty = (now, store_round.wakeups, self._ended) if empty else None
        if came_short and store_round.offer is not None:
            self._look_at_first_in_line(now, store_round.offer)
        self._flush_progress(now)
        return came_short and self._waiter.wakeups == store_round.wakeups

    # -- standing offers ----------------------------------------------------------------------

    def _stand_offer(self, now: float) -> None:
        """Last in a tick, a worker that found nothing to claim and has nothing left to do
        offers to run the next job a producer writes (`Store.stand_offer`): that job then
        comes with the producer's notification, already claimed, instead of waiting for a
        claim of its own. The offer is withdrawn before any claim, and renewed after every
        claim that finds nothing (at least every poll interval): it lapses if not renewed.
        (If the store fails while the offer is made, it may stand unknown to the worker until
        the next one replaces it: a job that took it meanwhile is rescued when its lease
        expires, as a dead worker's.)"""
        if not (
            self._offers
            and self._found_nothing
            and self._standing is None
            and not self._stopping
            and not self.pool.busy
            and not self.line
            and not self._acks
            and not self.persisting
            and self._blocked_head is None
        ):
            return
        memory = self._offer(now)
        if memory is None or memory.free <= 0:
            return
        self._standing = self.store.stand_offer(
            self.worker_id,
            self.settings.queues,
            memory,
            self.settings.lease,
            now,
            now + OFFER_LAPSES_AFTER_POLLS * self.settings.poll_interval,
        )
        self._offers = self._standing is not None

    def _receive_handed(self) -> None:
        """Jobs handed to this worker's offer, which came with the last wake-up."""
        for claim in self._waiter.take_handed():
            if claim.lease_token == self._standing:
                self._standing = None
                self.line.extend([claim])
            # Otherwise its offer was withdrawn since, and the job found then.

    @property
    def _ended(self) -> int:
        """Attempts this worker ended (or turned down) so far: each gave memory and a slot
        back."""
        return sum(self.outcomes.values())

    def _nothing_new(self, now: float) -> bool:
        """Whether a claim now would find what the last one found, nothing more it can take
        (the queue empty, or nothing else fitting): it came back short less than a poll
        interval ago, and since it began no producer woke the worker and no attempt of its
        own ended (which gives memory back). Ticks come often while jobs run (memory is
        sampled every `SAMPLE_INTERVAL`), and a claim at each one would query the store
        for nothing. A job handed to the worker's offer is no sign of others either (a job
        that finds the offer taken wakes the worker as any job does). Not while the first
        job in line waits for memory (it is watched at every claim), nor while the app
        declares concurrency limits (a slot freed by another worker wakes nobody)."""
        if self._came_up_empty is None or self._blocked_head is not None or self.flow.limits:
            return False
        taken_at, heard, ended = self._came_up_empty
        return (
            self._waiter.wakeups == heard
            and self._ended == ended
            and now - taken_at < self.settings.poll_interval
        )

    def _withdraw_offer(self) -> None:
        """Withdraw the standing offer, if any; the job that took it, if one did, goes in line."""
        if self._standing is None:
            return
        taken = self.store.withdraw_offer(self.worker_id, self._standing)
        self._standing = None
        if taken is not None:
            self.line.extend([taken])

    def _flush_progress(self, now: float) -> None:
        if self.persisting:  # after the transactions in flight
            return
        if self._progress and (now >= self._next_progress_flush or self._stopping):
            updates, self._progress = list(self._progress.values()), {}
            self.store.record_progress(updates)
            self._next_progress_flush = now + PROGRESS_FLUSH_INTERVAL

    def _acks_due(self, claiming: bool) -> bool:
        """Outcomes are persisted at once, except quick jobs' which are grouped (a few
        milliseconds at most) so that one commit covers many. Once nothing runs or waits,
        no other outcome is coming to share the commit: waiting would only delay them, and
        leave the commit in flight when a producer's next job wakes the worker."""
        if not self._acks:
            return False
        if not claiming or not self.pace.quick or len(self._acks) >= ACK_GROUP:
            return True
        if not self.pool.busy and not self.line:
            return True
        return time.monotonic() - self._oldest_ack >= ACK_DELAY

    def _offer(self, now: float) -> MemoryOffer | None:
        """What memory new jobs may take now; None while admission is paused."""
        if time.monotonic() < self._paused_until:
            return None
        offer = self.memory.offer(self.pool.memories(), busy=bool(self.pool.busy))
        if self._blocked_head is not None and time.monotonic() > self._blocked_head.until:
            # The first job in line has been passed for too long: admit nothing else until
            # it fits. Being first in line, it is the one claimed once the offer covers it.
            if offer.free >= self._blocked_head.need:
                return MemoryOffer(free=self._blocked_head.need, unknown_need=offer.unknown_need)
            return MemoryOffer(free=0, unknown_need=1)
        return offer

    def dispatch(self, claim: Claim, now: float) -> None:
        held_back = self.flow.admit(claim, now)  # its rate limit is used up: it waits
        if held_back is not None:
            self.reject(claim, held_back)
            return
        task = self.app.tasks.get(claim.task)
        if task is None:
            self.reject(
                claim,
                Failed(
                    f"no task named {claim.task!r} is registered in this worker's app; "
                    "nothing was run"
                ),
            )
            return
        capacity = self.memory.best_capacity
        if claim.need is not None and claim.need > capacity:
            self.reject(claim, Failed(self._never_fits(claim, claim.need, capacity)))
            return
        runner = self.pool.take(task.resources)
        free = self.memory.offer(self.pool.memories(), busy=bool(self.pool.busy)).free
        reservation = free if claim.need is None else claim.need
        for name in task.resources:
            if name not in runner.resources:
                reservation += self.app.resources[name].memory or 0
        while reservation > free and self._evict_one(keep=runner):
            free = self.memory.offer(self.pool.memories(), busy=bool(self.pool.busy)).free
        if reservation > free:
            self.reject(
                claim,
                HandedBack(
                    f"needed {format_size(reservation)} but only {format_size(free)} was free"
                ),
            )
            return
        if not self.memory.start_job(runner.memory, reservation):
            # Its group cannot shrink to the new limit (it holds too much): use a fresh one.
            self.pool.retire(runner, kill=False)
            runner = self.pool.start_one()
            if not self.memory.start_job(runner.memory, reservation):
                self.reject(claim, HandedBack("could not set a runner's memory limit"))
                return
        if self._blocked_head is not None and self._blocked_head.job_id == claim.id:
            self._blocked_head = None
        runner.send(claim, now, reservation)

    def _never_fits(self, claim: Claim, need: int, capacity: int) -> str:
        limit = self.memory.limit
        return (
            f"job {claim.id} needs {format_size(need)} but this worker's memory budget for "
            f"jobs is {format_size(capacity)} (limit {format_size(limit.limit)}: "
            f"{limit.source}); raise the limit or lower memory= on task {claim.task!r}"
        )

    def _look_at_first_in_line(self, now: float, offer: MemoryOffer) -> None:
        """Why did fewer jobs than slots come? If the first in line can never fit, fail it
        now; if evicting warm resources makes room, evict; if it keeps being passed, stop
        admitting smaller jobs until it fits."""
        head = self.store.head_need(self.settings.queues, now, self.flow.limits)
        if head is None:
            self._blocked_head = None
            return
        job_id, need = head
        capacity = self.memory.best_capacity
        if need is not None and need > capacity:
            doomed = self.store.claim(
                self.worker_id,
                self.settings.queues,
                1,
                self.settings.lease,
                now,
                memory=MemoryOffer(free=need, unknown_need=0),
                limits=self.flow.limits,
            )
            for claim in doomed:
                self.dispatch(claim, now)  # fails it with the explanation, or runs a smaller job
            return
        wanted = capacity if need is None else need
        if wanted <= offer.free:
            return
        idle_memory = sum(self.memory.usage(r.memory) for r in self.pool.idle)
        if wanted <= offer.free + idle_memory and self._evict_one(keep=None):
            return
        if self._blocked_head is None or self._blocked_head.job_id != job_id:
            self._blocked_head = BlockedHead(job_id, wanted, time.monotonic() + STARVE_AFTER)

    def _evict_one(self, keep: Runner | None) -> bool:
        """Retire one idle runner to give its memory back (see `RunnerPool.evictable`)."""
        for runner in self.pool.evictable():
            if runner is not keep:
                held = f" (it held {', '.join(runner.resources)})" if runner.resources else ""
                log.info("evicting idle runner %d to make room%s", runner.pid, held)
                self.pool.retire(runner)
                return True
        return False

    def reject(self, claim: Claim, outcome: Outcome) -> None:
        self.outcomes[type(outcome).__name__.lower()] += 1
        self._add_ack(Ack(claim.id, claim.lease_token, outcome))

    def _watch_memory(self, now: float) -> None:
        monotonic = time.monotonic()
        if monotonic < self._next_sample:
            return
        self._next_sample = monotonic + SAMPLE_INTERVAL
        for runner in self.pool.busy:
            if self.memory.over_reservation(runner.memory):
                self.endings.kill_for_memory(runner, now)
            else:
                self.memory.sample(runner.memory)
        if monotonic >= self._next_others:
            self._next_others = monotonic + OTHERS_INTERVAL
            self.memory.observe_others(self.pool.memories())
            if log.isEnabledFor(logging.DEBUG):
                offer = self.memory.offer(self.pool.memories(), busy=bool(self.pool.busy))
                log.debug(
                    "memory: capacity %s, others %s, free %s, runners %s, blocked %s",
                    format_size(self.memory.capacity),
                    format_size(self.memory.others),
                    format_size(offer.free),
                    [format_size(self.memory.usage(r.memory)) for r in self.pool.runners],
                    self._blocked_head,
                )
        action = self.memory.guard()
        if action.pause:
            self._paused_until = monotonic + 1.0
            log.warning("admission paused: %s", action.reason)
        if action.evict_idle:
            for runner in self.pool.idle:
                self.pool.retire(runner)
        if action.stop_newest_job and self.pool.busy:
            newest = max(self.pool.busy, key=lambda r: r.current.started_at if r.current else 0)
            self.endings.stop_to_protect_host(newest, action.reason)

    def _heartbeat(self, now: float) -> None:
        self._settle(now)
        offer = self.memory.offer(self.pool.memories(), busy=bool(self.pool.busy))
        reply = self.store.heartbeat(
            self.worker_id,
            # Jobs whose outcome is not persisted yet still hold their leases.
            [claim.lease_token for claim in self.running_jobs]
            + [claim.lease_token for claim in self.line]
            + [ack.lease_token for ack in self._acks],
            self.settings.lease,
            now,
            memory=MemoryReport(budget=self.memory.capacity, free=offer.free),
        )
        self._next_heartbeat = now + self.settings.heartbeat
        self.endings.apply_heartbeat(reply)
        lost = self.line.remove({claim.id for claim in self.line if claim.id not in reply.held})
        for claim in lost:
            log.error("job %s: lease lost before it started; dropping it", claim.id)
        for claim in self.line.remove(set(reply.cancel_requested)):
            self.reject(claim, Cancelled("cancelled on request before it started"))

    def _rescue(self, now: float) -> None:
        self._settle(now)
        report = self.store.rescue(self.worker_id, now)
        self._next_rescue = now + self.settings.rescue_interval
        if report.requeued or report.failed:
            log.warning(
                "rescued %d job(s) from dead workers; %d failed on their last attempt",
                len(report.requeued),
                len(report.failed),
            )
        self.store.forget_stale_workers(now - STALE_WORKER_AFTER_LEASES * self.settings.lease)

    def _hand_back_line(self, reason: str) -> None:
        for claim in self.line.clear():
            self.reject(claim, HandedBack(reason))

    def _hand_back_running(self, reason: str) -> None:
        for runner in self.pool.busy:
            runner.kill()
            while runner.current is not None:
                self.finish(runner, HandedBack(reason))
            self.pool.retire(runner)

    def _seconds_to_next_duty(self, now: float) -> float:
        duties = [self._next_heartbeat, self._next_rescue]
        if not self._stopping:
            duties += [now + self.settings.poll_interval, self.flow.next_due]
        if self._progress:
            duties.append(self._next_progress_flush)
        for runner in self.pool.busy:
            if runner.current is not None and runner.current.deadline is not None:
                duties.append(runner.current.deadline)
        seconds = min(duties) - now
        if self.pool.busy:
            seconds = min(seconds, SAMPLE_INTERVAL)
        if self._acks or self.persisting:  # grouped outcomes wait a few ms at most
            seconds = min(seconds, ACK_DELAY)
        if self._stopping and self._stop_deadline is not None:
            seconds = min(seconds, self._stop_deadline - time.monotonic())
        return max(0.0, seconds)


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
