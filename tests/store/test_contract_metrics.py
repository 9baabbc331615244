"""The store contract, continued: the job metrics read for /metrics. Run unchanged against
every store."""

from __future__ import annotations

import math

import pytest

from cargohold.outcome import Failed, MemoryKilled, Retrying, Succeeded
from cargohold.records import Ack, Histogram
from cargohold.states import JobState
from cargohold.store import Store
from cargohold.store.metrics import BOUNDS
from tests.store.test_contract import LEASE, T0, WORKER, enqueue_one


def claim_one(store: Store, now: float, queue: str) -> str:
    [claim] = store.claim(WORKER, [queue], 1, LEASE, now)
    return claim.lease_token


def count_under(histogram: Histogram, bound: float) -> int:
    return dict(histogram.buckets)[bound]


def test_durations_waits_retries_and_memory_kills(store: Store) -> None:
    # Given: a mail job that waited 2 s and ran 0.3 s...
    mail = enqueue_one(store, T0, task="mail")
    token = claim_one(store, T0 + 2, "default")
    store.ack(WORKER, [Ack(mail, token, Succeeded("1"))], T0 + 2.3)
    # ...a pdf job that failed once, was killed for its memory once, then failed after 30 s...
    pdf = enqueue_one(store, T0, task="pdf", queue="books")
    token = claim_one(store, T0 + 0.05, "books")
    store.ack(WORKER, [Ack(pdf, token, Retrying(T0 + 10, "timeout"))], T0 + 1)
    token = claim_one(store, T0 + 10, "books")
    store.ack(WORKER, [Ack(pdf, token, MemoryKilled(T0 + 20, "oom", 10**9))], T0 + 11)
    token = claim_one(store, T0 + 20, "books")
    store.ack(WORKER, [Ack(pdf, token, Failed("boom"))], T0 + 50)
    # ...one running since 1 s after it was enqueued, and one never started.
    enqueue_one(store, T0 + 3, task="mail")
    claim_one(store, T0 + 4, "default")
    enqueue_one(store, T0 + 5, task="mail")
    assert store.get_job(pdf).state == JobState.FAILED  # type: ignore[union-attr]

    # When: the metrics are read.
    found = store.job_metrics()

    # Then: durations count finished jobs by task, under the smallest bound above each...
    assert set(found.durations) == {"mail", "pdf"}
    mail_runs, pdf_runs = found.durations["mail"], found.durations["pdf"]
    assert (mail_runs.count, pdf_runs.count) == (1, 1)
    assert (mail_runs.sum, pdf_runs.sum) == (pytest.approx(0.3), pytest.approx(30.0))
    assert (count_under(mail_runs, 0.1), count_under(mail_runs, 0.5)) == (0, 1)
    assert (count_under(pdf_runs, 10.0), count_under(pdf_runs, 30.0)) == (0, 1)
    assert [bound for bound, _ in mail_runs.buckets] == [*BOUNDS, math.inf]
    assert mail_runs.buckets[-1] == (math.inf, 1)
    # ...waits count started jobs by queue, from ready to their last start...
    default, books = found.waits["default"], found.waits["books"]
    assert (default.count, default.sum) == (2, pytest.approx(3.0))
    assert (count_under(default, 1.0), count_under(default, 2.5)) == (1, 2)
    assert (books.count, count_under(books, 0.1)) == (1, 1)
    # ...and retries and memory kills are counted from the events, by task.
    assert found.retries == {"pdf": 1}
    assert found.memory_kills == {"pdf": 1}


def test_an_empty_store_has_no_metrics(store: Store) -> None:
    found = store.job_metrics()
    assert (found.durations, found.waits, found.retries, found.memory_kills) == ({}, {}, {}, {})


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
@pytest.mark.parametrize("name", ["metrics_durations", "metrics_waits"])
def test_the_statements_name_every_bound_and_no_other(dialect: str, name: str) -> None:
    import re

    from cargohold.store.metrics import bound_params
    from cargohold.store.sqlfiles import statement

    sql = statement(f"cargohold.store.{dialect}", name)
    named = {int(n) for n in re.findall(r"\bb(\d+)\b", sql)}
    assert {f"b{n}" for n in named} == set(bound_params())
