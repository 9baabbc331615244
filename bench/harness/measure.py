"""The measurements, the same for every system: each takes a fresh store, its own worker
started with the settings the report names, and the system's own producer calls."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness.processes import BenchError, Driver, Owned, pss_kib, wait_for
from bench.harness.stats import percentile, steady_rate
from bench.peers.common import LedgerReader

WORKER_PROCESSES = 2
"""The worker processes (or runners) of every system measured idle: its workers' setting."""


@dataclass(frozen=True)
class BurstPlan:
    """The memory burst: `jobs` jobs that each use `mib` MiB for `hold` seconds, in a container
    of `limit_mib` beside a web stand-in of `web_mib`; a system that has not finished them
    `timeout` seconds after the first enqueue is stopped there."""

    jobs: int
    mib: int
    hold: float = 0.5
    limit_mib: int = 512
    web_mib: int = 60
    timeout: float = 120.0


@dataclass(frozen=True)
class Plan:
    jobs: int
    repeat: int
    enqueue_passes: int
    """Repetitions of the enqueue measurements (`ENQUEUE_PASS`), each going through every
    system in turn."""
    latency_jobs: int
    latency_gap: tuple[float, float]
    warmup_jobs: int
    backlogs: tuple[int, ...]
    backlog_sample: int
    drain_timeout: float
    backlog_timeout: float
    startup_timeout: float
    prefill_budget: float
    """Seconds a backlog may take to fill, estimated from this run's enqueue rates."""
    burst: BurstPlan | None = None
    """None: the memory burst is left out of this run."""


@dataclass
class Results:
    """Every raw number of one system: measurement name -> one value per repetition."""

    runs: dict[str, list[float]] = field(default_factory=dict)
    raw: dict[str, list[Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: float) -> None:
        self.runs.setdefault(name, []).append(value)

    def keep(self, name: str, value: Any) -> None:
        self.raw.setdefault(name, []).append(value)


class Session:
    """One system under test: its driver, and the workers it starts."""

    def __init__(
        self,
        driver: Driver,
        worker_argv: list[str],
        env: dict[str, str],
        ledger: Path,
        logs: Path,
        plan: Plan,
        *,
        results: Results,
        label: str,
        python: str,
        processes_on_demand: bool = False,
    ) -> None:
        self.driver = driver
        self.processes_on_demand = processes_on_demand
        """See `Peer.processes_on_demand`."""
        self.python = python
        """The system's interpreter (the repo's virtualenv, or bench/.peers-venv)."""
        self.worker_argv = worker_argv
        self.env = env
        self.ledger = ledger
        self.logs = logs
        self.plan = plan
        self.results = results
        self.label = label
        self._workers = 0

    def start_worker(self) -> Owned:
        self._workers += 1
        log = self.logs / f"{self.label}-worker-{self._workers}.log"
        return Owned(self.worker_argv, self.env, log)

    def fresh_ledger(self) -> LedgerReader:
        self.ledger.unlink(missing_ok=True)
        return LedgerReader(str(self.ledger))


def enqueue_and_drain(session: Session) -> None:
    """The drain rate of N jobs enqueued one call at a time, by workers started once they are
    all queued. (The enqueue rate is measured apart: `single_enqueue`.)"""
    plan, driver, results = session.plan, session.driver, session.results
    driver.call("setup")
    results.keep("enqueue_before_drain", plan.jobs / driver.call("enqueue", n=plan.jobs))
    worker = session.start_worker()
    try:
        poll = driver.call("drain", timeout=plan.drain_timeout)
    finally:
        worker.stop()
    results.keep("drain", poll)
    if poll["first_t"] is None or poll["end_t"] <= poll["first_t"]:
        raise BenchError(f"the workers finished no job within {plan.drain_timeout:g}s")
    if poll["end_left"]:
        results.notes.append(
            f"drain stopped after {plan.drain_timeout:g}s with {poll['end_left']} jobs left; "
            "its rate is over the jobs done by then"
        )
    done = poll["first_left"] - poll["end_left"]
    results.add("drain", done / (poll["end_t"] - poll["first_t"]))


def single_enqueue(session: Session) -> None:
    """The rate of N no-op jobs enqueued one call at a time, no worker running."""
    session.driver.call("setup")
    seconds = session.driver.call("enqueue", n=session.plan.jobs)
    session.results.add("enqueue", session.plan.jobs / seconds)


def bulk_enqueue(session: Session) -> None:
    session.driver.call("setup")
    seconds = session.driver.call("bulk", n=session.plan.jobs)
    if seconds is not None:
        session.results.add("bulk_enqueue", session.plan.jobs / seconds)


def idle_memory_and_latency(session: Session) -> None:
    """One idle worker: its memory after start-up and a few jobs, then enqueue-to-start
    latency of jobs sent one at a time."""
    plan, driver, results = session.plan, session.driver, session.results
    driver.call("setup")
    worker = session.start_worker()
    try:
        # A worker that starts its processes on demand (cargohold's runners) is measured
        # with all of them started, as the peers' are: jobs held together start them.
        together = WORKER_PROCESSES if session.processes_on_demand else 0
        left = driver.call(
            "settle", n=plan.warmup_jobs, timeout=plan.startup_timeout, together=together
        )
        if left:
            raise BenchError(f"warm-up: {left} jobs not done after {plan.startup_timeout:g}s")
        session.fresh_ledger()  # without the warm-up's lines
        time.sleep(1.0)
        pids = worker.tree()
        pss, rss = pss_kib(pids)
        results.add("memory_pss", pss / 1024)
        results.add("memory_rss", rss / 1024)
        results.keep("memory_processes", len(pids))
        reply = driver.call(
            "latency",
            n=plan.latency_jobs,
            ledger=str(session.ledger),
            gap=list(plan.latency_gap),
            timeout=5.0,
        )
    finally:
        worker.stop()
    latencies = [(started - enqueued) * 1000 for enqueued, started in reply["rows"]]
    if reply["missed"] or not latencies:
        raise BenchError(f"latency: {reply['missed']} jobs did not start within 5s")
    results.keep("latency_ms", latencies)
    results.add("latency_p50", percentile(latencies, 50))
    results.add("latency_p99", percentile(latencies, 99))


def backlog_scaling(session: Session) -> None:
    """Claim throughput (jobs started per second) with each backlog size queued: a sample of
    jobs is taken off the top of the backlog, repeat times, by freshly started workers. The
    queue is filled with the samples on top of the backlog, so that each sample is claimed
    with at least the backlog's size still queued."""
    plan, driver, results = session.plan, session.driver, session.results
    for size in plan.backlogs:
        fill = size + plan.repeat * plan.backlog_sample
        too_long = _prefill_too_long(results, size, fill, plan.prefill_budget)
        if too_long:
            results.notes.append(too_long)
            continue
        driver.call("setup")
        results.keep(f"prefill_seconds_{size}", driver.call("prefill", n=fill, task="stamp"))
        driver.call("analyze")
        for _ in range(plan.repeat):
            results.add(f"backlog_{size}", _claim_rate(session))


def _prefill_too_long(results: Results, size: int, fill: int, budget: float) -> str | None:
    """Why filling the backlog of `size` (with `fill` jobs) does not fit the time budget, or
    None if it does."""
    how, rates = "its bulk enqueue", results.runs.get("bulk_enqueue")
    if not rates:
        how, rates = "one enqueue call at a time (it has no bulk API)", results.runs.get("enqueue")
    if not rates:
        return None
    estimate = fill / statistics.median(rates)
    if estimate <= budget:
        return None
    return (
        f"backlog of {size:,} not measured: filling it with {how} would take about "
        f"{estimate:,.0f}s, over this run's --prefill-budget of {budget:,.0f}s"
    )


def _claim_rate(session: Session) -> float:
    plan = session.plan
    ledger = session.fresh_ledger()
    worker = session.start_worker()
    try:
        wait_for(lambda: ledger.poll() >= plan.backlog_sample, plan.backlog_timeout)
    finally:
        worker.stop()
    ledger.poll()
    starts = [started for _, started in ledger.rows]
    session.results.keep("backlog_starts", len(starts))
    rate = steady_rate(starts)
    if rate is None:
        raise BenchError(f"backlog: only {len(starts)} jobs started in {plan.backlog_timeout:g}s")
    return rate
