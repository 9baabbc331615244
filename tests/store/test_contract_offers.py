"""The store contract for standing offers: an idle worker offers to run the next job, and a
store either hands that job over in the producer's own transaction (both stores here) or
never takes an offer (`stand_offer` answers None and changes nothing). Either way no job is
lost, run twice, or taken by an offer it does not fit."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from typing import Any

import pytest

from cargohold.memory.admission import MemoryOffer
from cargohold.outcome import Succeeded
from cargohold.records import Ack, Claim, Heard, NewJob
from cargohold.states import JobState
from cargohold.store import Store
from tests.store.test_contract import LEASE, OTHER, T0, WORKER, enqueue_one, kinds, new_job

MIB = 1024 * 1024
AMPLE = MemoryOffer(free=512 * MIB, unknown_need=512 * MIB)
UNTIL = T0 + 3.0


def stand(store: Store, memory: MemoryOffer = AMPLE, **fields: object) -> str | None:
    values: dict[str, object] = {
        "queues": None,
        "memory": memory,
        "lease": LEASE,
        "now": T0,
        "until": UNTIL,
    }
    values.update(fields)
    return store.stand_offer(WORKER, **values)  # type: ignore[arg-type]


def heard(store: Store, wakeup: object, wait: float = 2.0) -> list[Claim]:
    """The jobs handed to WORKER that its wake-up channel brings within `wait` seconds."""
    deadline = time.monotonic() + wait
    handed: list[Claim] = []
    while not handed and time.monotonic() < deadline:
        select.select([wakeup.fileno()], [], [], 0.05)  # type: ignore[attr-defined]
        handed += wakeup.drain().handed  # type: ignore[attr-defined]
    return handed


def next_heard(wakeup: Any) -> Heard:
    """What the wake-up channel brings next (within 2 seconds)."""
    readable, _, _ = select.select([wakeup.fileno()], [], [], 2.0)
    assert readable, "nothing came through the wake-up channel within 2 s"
    heard: Heard = wakeup.drain()
    return heard


def test_the_next_job_takes_the_offer_or_is_queued_as_usual(store: Store) -> None:
    wakeup = store.wakeup(WORKER)
    assert wakeup is not None
    try:
        # Given an idle worker's standing offer
        token = stand(store)

        # When a job is enqueued
        job_id = enqueue_one(store, task="resize")

        job = store.get_job(job_id)
        assert job is not None
        if token is None:
            # Then a store that hands nothing over queues it, and has no offer to withdraw
            assert job.state == JobState.QUEUED
            assert store.withdraw_offer(WORKER, "anything") is None
            assert heard(store, wakeup, wait=0.2) == []
            return
        # Then it is written claimed for the worker, under the offer's lease token
        assert (job.state, job.attempt, job.worker_id) == (JobState.RUNNING, 1, WORKER)
        assert job.started_at == T0 and job.lease_expires_at == T0 + LEASE
        assert kinds(store, job_id) == ["enqueued", "claimed"]
        # And it reaches the worker through its wake-up channel, as the claim it is
        [claim] = heard(store, wakeup)
        assert (claim.id, claim.task, claim.lease_token, claim.attempt) == (
            job_id,
            "resize",
            token,
            1,
        )
        assert claim.args == job.args and claim.max_attempts == job.max_attempts
        # And withdrawing the taken offer finds the same job
        assert store.withdraw_offer(WORKER, token) == claim
        # And its outcome is persisted under that lease
        assert store.ack(WORKER, [Ack(job_id, token, Succeeded("null"))], T0 + 1) == [True]
        done = store.get_job(job_id)
        assert done is not None and done.state == JobState.SUCCEEDED
    finally:
        wakeup.close()


def test_a_job_that_takes_the_offer_comes_alone_and_one_that_finds_it_taken_wakes(
    store: Store,
) -> None:
    wakeup = store.wakeup(WORKER)
    assert wakeup is not None
    try:
        # Given an idle worker's standing offer
        if stand(store) is None:
            return  # a store that hands nothing over: every job wakes, as the contract says
        # When a job takes it
        first = enqueue_one(store)
        # Then it comes alone: nothing tells the worker to claim
        heard = next_heard(wakeup)
        assert [claim.id for claim in heard.handed] == [first] and not heard.woken
        # And when the next job finds the offer taken, it wakes the worker for a claim
        enqueue_one(store)
        heard = next_heard(wakeup)
        assert heard.handed == [] and heard.woken
    finally:
        wakeup.close()


def test_an_offer_is_taken_by_one_job_only(store: Store) -> None:
    token = stand(store)
    first, second = enqueue_one(store), enqueue_one(store)
    states = [store.get_job(job_id).state for job_id in (first, second)]  # type: ignore[union-attr]
    if token is None:
        assert states == [JobState.QUEUED, JobState.QUEUED]
    else:
        assert states == [JobState.RUNNING, JobState.QUEUED]
        assert kinds(store, second) == ["enqueued"]


def test_a_withdrawn_offer_is_taken_by_no_job(store: Store) -> None:
    token = stand(store)
    assert store.withdraw_offer(WORKER, token or "none") is None
    job_id = enqueue_one(store)
    assert store.get_job(job_id).state == JobState.QUEUED  # type: ignore[union-attr]


def test_a_new_offer_replaces_the_last(store: Store) -> None:
    first = stand(store)
    second = stand(store)
    if first is None:
        assert second is None
        return
    assert second != first
    # The first no longer stands, and was taken by no job
    assert store.withdraw_offer(WORKER, first) is None
    job_id = enqueue_one(store)
    job = store.get_job(job_id)
    assert job is not None and job.state == JobState.RUNNING
    claim = store.withdraw_offer(WORKER, second)
    assert claim is not None and claim.id == job_id


@pytest.mark.parametrize(
    ("why", "job", "now"),
    [
        ("it has a key", new_job(key="once"), T0),
        ("it is scheduled later", new_job(run_at=T0 + 60), T0),
        ("it is under a concurrency limit", new_job(limits=(("gpu", ""),)), T0),
        ("it is under a rate limit", new_job(rates=(("api", ""),)), T0),
        ("it goes to a queue the worker does not take", new_job(queue="reports"), T0),
        ("its need does not fit", new_job(memory=600 * MIB), T0),
        ("its arguments are too long for a notification", new_job(args='"' + "x" * 8000 + '"'), T0),
        ("the offer lapsed", new_job(), UNTIL + 0.1),
    ],
)
def test_a_job_that_may_not_take_the_offer_is_queued_and_takes_no_offer(
    store: Store, why: str, job: NewJob, now: float
) -> None:
    # Given a worker's offer for the default queue, for jobs of up to 512 MiB
    token = stand(store, queues=["default"])

    # When such a job is enqueued
    [written] = store.enqueue([job], now)

    # Then it waits in line, as without an offer
    found = store.get_job(written.id)
    assert found is not None
    assert found.state in (JobState.QUEUED, JobState.SCHEDULED), why
    assert found.worker_id is None and kinds(store, written.id) == ["enqueued"]
    # And it took no offer: withdrawing the offer finds no job
    assert store.withdraw_offer(WORKER, token or "none") is None


def test_a_paused_queue_takes_no_offer(store: Store) -> None:
    token = stand(store)
    store.set_queue_paused("default", True, T0)
    job_id = enqueue_one(store)
    assert store.get_job(job_id).state == JobState.QUEUED  # type: ignore[union-attr]
    assert store.withdraw_offer(WORKER, token or "none") is None


def test_a_job_taken_by_a_dead_workers_offer_is_rescued_when_its_lease_expires(
    store: Store,
) -> None:
    # Given a worker that stood an offer and died; a job takes the offer before it lapses
    token = stand(store)
    job_id = enqueue_one(store)
    if token is None:
        return
    # When its lease expires and another worker rescues
    report = store.rescue(OTHER, T0 + LEASE + 1)
    # Then the job is queued again, for another worker to run
    assert job_id in report.requeued
    job = store.get_job(job_id)
    assert job is not None and job.state == JobState.QUEUED
    # And the dead worker's late outcome is refused
    assert store.ack(WORKER, [Ack(job_id, token, Succeeded("null"))], T0 + LEASE + 2) == [False]


def test_unregistering_a_worker_withdraws_its_offer(store: Store) -> None:
    token = stand(store)
    store.unregister_worker(WORKER)
    job_id = enqueue_one(store)
    assert store.get_job(job_id).state == JobState.QUEUED  # type: ignore[union-attr]
    assert store.withdraw_offer(WORKER, token or "none") is None


def test_a_job_enqueued_in_the_callers_transaction_takes_no_offer(
    store: Store, connect: Callable[..., Any]
) -> None:
    # (The caller's transaction may stay open long after: a withdrawing worker would wait.)
    token = stand(store)
    connection = connect()
    [result] = store.enqueue_in(connection, [new_job()], T0)
    connection.commit()
    assert store.get_job(result.id).state == JobState.QUEUED  # type: ignore[union-attr]
    assert store.withdraw_offer(WORKER, token or "none") is None
