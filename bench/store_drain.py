"""The PostgreSQL store's hot path alone, with no worker process: how fast loops of
`store.ack_and_claim(...)` drain no-op jobs, at several claim limits, with the memory offer a
worker makes; how long a claim takes when the first job in line does not fit (a worker claims
at every tick while it waits for memory); and how fast single and bulk `store.enqueue` write
jobs. Prints medians in jobs/s or ms (and optionally writes every run as JSON).

Each measurement runs in a scratch database of its own on the server of `--admin-url`,
dropped at the end. The queue is filled by one INSERT ... SELECT (the rows `enqueue` writes:
a job and its `enqueued` event), so that a large `--backlog` takes seconds, not minutes.

    .venv/bin/python bench/store_drain.py [--jobs 5000] [--limits 1,2,8,32] [--backlog 0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from cargohold.ids import new_job_id
from cargohold.memory.admission import LEARN_AFTER, MIB, MemoryOffer
from cargohold.outcome import Succeeded
from cargohold.records import Ack, Claim, NewJob
from cargohold.store.postgres.store import PostgresStore

ADMIN_URL = os.environ.get("CARGOHOLD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
WORKER = "bench:1:store"
LEASE = 60.0
OFFER = MemoryOffer(free=4 * 1024 * MIB, unknown_need=256 * MIB)
"""What a worker with a few GiB free offers: the budget, a job of unknown need alone."""
TIGHT = MemoryOffer(free=MIB, unknown_need=MIB)
"""What a worker whose memory is nearly all taken offers: no job of the queue fits."""
PEAK = 2 * MIB
"""The peak each no-op run reports: the task's learned need becomes about 10 MiB."""
TASK = "noop"
ARGS = '{"args":[],"kwargs":{}}'

FILL = """
WITH made AS (
    INSERT INTO jobs (id, task, queue, state, priority, args, max_attempts, run_at, created_at)
    SELECT lpad(n::text, 26, '0'), %(task)s, 'default', 'queued', 0, %(args)s, 1,
           %(now)s::float8 - 60 + n * 1e-6, %(now)s::float8 - 60
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n
    RETURNING id
)
INSERT INTO events (job_id, at, kind, state, attempt)
SELECT id, %(now)s::float8 - 60, 'enqueued', 'queued', 0 FROM made
"""


@dataclass
class Results:
    runs: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.runs.setdefault(name, []).append(value)

    def medians(self) -> dict[str, float]:
        return {name: statistics.median(values) for name, values in self.runs.items()}


@contextmanager
def scratch_store(admin_url: str, name: str) -> Iterator[tuple[PostgresStore, str]]:
    """A migrated store in a database of its own, and its URL; dropped afterwards."""
    database = f"bench_store_{name}_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{database}"))
        store = PostgresStore(url)
        try:
            yield store, url
        finally:
            store.close()
            admin.execute(drop)


def execute(url: str, statement: str, params: dict[str, Any] | None = None) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement, params)


def fill(store: PostgresStore, url: str, count: int, *, stale_stats: bool) -> None:
    """`count` ready no-op jobs. `stale_stats`: the planner's statistics are those of the
    empty table (ANALYZE before the fill, autovacuum off), else fresh (ANALYZE after)."""
    if stale_stats:
        execute(url, "ALTER TABLE jobs SET (autovacuum_enabled = false)")
        execute(url, "ANALYZE")
    now, first = store.now(), 1
    while first <= count:  # in slices: one huge INSERT would hold a lot of WAL at once
        last = min(count, first + 199_999)
        params = {"task": TASK, "args": ARGS, "now": now, "first": first, "last": last}
        execute(url, FILL, params)
        first = last + 1
    if not stale_stats:
        execute(url, "ANALYZE")


def learn_need(store: PostgresStore) -> None:
    """Run the task alone a few times, as a worker does for a task never measured, so that
    its need is known and the drain claims in batches."""
    for _ in range(LEARN_AFTER):
        claims = store.claim(WORKER, None, 1, LEASE, store.now(), memory=OFFER)
        store.ack(WORKER, acks(claims), store.now())


def acks(claims: Sequence[Claim]) -> list[Ack]:
    return [Ack(c.id, c.lease_token, Succeeded("null"), peak_memory=PEAK) for c in claims]


def drain(store: PostgresStore, limit: int, jobs: int, seconds: float) -> float:
    """Jobs/s of an `ack_and_claim` loop claiming up to `limit` at a time, until `jobs` are
    done or `seconds` have passed."""
    done, pending = 0, list[Claim]()
    started = time.perf_counter()
    while done < jobs and time.perf_counter() - started < seconds:
        want = min(limit, jobs - done - len(pending))
        accepted, claims = store.ack_and_claim(
            WORKER, acks(pending), None, want, LEASE, store.now(), memory=OFFER
        )
        assert all(accepted), "an outcome was refused"
        done += len(pending)
        if not claims and not pending:
            raise RuntimeError(f"the queue ran dry after {done} jobs")
        pending = claims
    accepted = store.ack(WORKER, acks(pending), store.now())
    assert all(accepted), "an outcome was refused"
    done += len(pending)
    return done / (time.perf_counter() - started)


def blocked_claim(store: PostgresStore, claims: int) -> float:
    """Median milliseconds of `claims` claims (limit 8) that find no job fitting the offer."""
    times = []
    for _ in range(claims):
        started = time.perf_counter()
        found = store.claim(WORKER, None, 8, LEASE, store.now(), memory=TIGHT)
        times.append(time.perf_counter() - started)
        assert not found, "a job fitted the tight offer"
    return statistics.median(times) * 1000


def measure_drain(args: argparse.Namespace, results: Results, *, stale_stats: bool) -> None:
    kind = "stale" if stale_stats else "fresh"
    with scratch_store(args.admin_url, f"drain_{kind}") as (store, url):
        spent = args.jobs * len(args.limits) * args.repeat + LEARN_AFTER
        fill(store, url, args.backlog + spent, stale_stats=stale_stats)
        learn_need(store)
        for _ in range(args.repeat):
            for limit in args.limits:
                rate = drain(store, limit, args.jobs, args.seconds)
                results.add(f"drain_{kind}_limit_{limit}", rate)
            if args.blocked_claims:
                results.add(f"blocked_claim_{kind}_ms", blocked_claim(store, args.blocked_claims))


def new_jobs(count: int) -> list[NewJob]:
    return [NewJob(id=new_job_id(), task=TASK, queue="default", args=ARGS) for _ in range(count)]


def timed(count: int, call: Callable[[], None]) -> float:
    started = time.perf_counter()
    call()
    return count / (time.perf_counter() - started)


def measure_enqueue(args: argparse.Namespace, results: Results) -> None:
    with scratch_store(args.admin_url, "enqueue") as (store, _):
        for _ in range(args.repeat):
            singles = [new_jobs(1) for _ in range(args.enqueue_jobs)]

            def one_by_one(singles: list[list[NewJob]] = singles) -> None:
                for job in singles:
                    store.enqueue(job, store.now())

            results.add("enqueue", timed(args.enqueue_jobs, one_by_one))
            batch = new_jobs(args.bulk_size)

            def bulk(batch: list[NewJob] = batch) -> None:
                assert all(one.created for one in store.enqueue(batch, store.now()))

            results.add("bulk_enqueue", timed(len(batch), bulk))


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a database to connect to")
    parser.add_argument("--jobs", type=int, default=5000, help="jobs per drain run (5000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="cap per drain run (20)")
    parser.add_argument(
        "--limits", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 8, 32]
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (3)")
    parser.add_argument("--backlog", type=int, default=0, help="jobs left queued behind (0)")
    parser.add_argument(
        "--stats",
        choices=["fresh", "stale", "both"],
        default="both",
        help="planner statistics: ANALYZE after the fill, before it, or both runs (both)",
    )
    parser.add_argument(
        "--blocked-claims",
        type=int,
        default=200,
        metavar="N",
        help="claims timed with no job fitting, after each drain repetition (200; 0: none)",
    )
    parser.add_argument("--enqueue-jobs", type=int, default=2000, help="single enqueues (2000)")
    parser.add_argument("--bulk-size", type=int, default=20000, help="jobs per bulk call (20000)")
    parser.add_argument("--no-enqueue", action="store_true", help="measure the drain only")
    parser.add_argument("--no-drain", action="store_true", help="measure enqueue only")
    parser.add_argument("--json", help="write every run's figure to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    results = Results()
    for kind in ("fresh", "stale"):
        if args.stats in (kind, "both") and not args.no_drain:
            measure_drain(args, results, stale_stats=kind == "stale")
    if not args.no_enqueue:
        measure_enqueue(args, results)
    print(f"jobs/s, median of {args.repeat} (backlog {args.backlog:,}, {args.jobs:,} per drain)")
    for name, value in results.medians().items():
        shown = "{:,.2f}" if name.endswith("_ms") else "{:,.0f}"
        runs = ", ".join(shown.format(run) for run in results.runs[name])
        print(f"  {name:<24} {shown.format(value):>9}   ({runs})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"args": vars(args), "runs": results.runs}, out, indent=2)


if __name__ == "__main__":
    main()
