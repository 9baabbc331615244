"""The store contract, continued: a ready job's place in its queue's line, what is ahead of
it, and deleting a job. Run unchanged against every store."""

from __future__ import annotations

import pytest

from cargohold.errors import InvalidTransitionError, JobNotFoundError
from cargohold.outcome import Succeeded
from cargohold.records import Ack, JobFilter
from cargohold.states import JobState
from cargohold.store import Store
from tests.store.test_contract import LEASE, T0, WORKER, enqueue_one, new_job

# -- queue position ---------------------------------------------------------------------------


def test_position_counts_the_ready_jobs_a_claim_takes_first(store: Store) -> None:
    ids = [enqueue_one(store, T0 + n) for n in range(5)]
    assert [store.queue_position(job_id, T0 + 10) for job_id in ids] == [1, 2, 3, 4, 5]


def test_position_follows_the_claim_order_priority_then_run_at_then_id(store: Store) -> None:
    # Given: jobs of two priorities, two of them ready at the very same moment.
    low_old = enqueue_one(store, T0, priority=0)
    same_a, same_b = sorted(
        j.id for j in store.enqueue([new_job(priority=0), new_job(priority=0)], T0 + 1)
    )
    high = enqueue_one(store, T0 + 2, priority=9)
    now = T0 + 3
    # When: each job's position is read, and then the jobs are claimed one by one.
    positions = {job_id: store.queue_position(job_id, now) for job_id in ids_of(store)}
    order = [store.claim(WORKER, None, 1, LEASE, now)[0].id for _ in range(4)]
    # Then: the positions are the claim order.
    assert order == [high, low_old, same_a, same_b]
    assert [positions[job_id] for job_id in order] == [1, 2, 3, 4]


def ids_of(store: Store) -> list[str]:
    return [job.id for job in store.find_jobs(JobFilter(limit=100))]


def test_position_counts_only_ready_jobs_of_the_same_queue(store: Store) -> None:
    enqueue_one(store, T0, queue="other")
    enqueue_one(store, T0, run_at=T0 + 3600)  # scheduled for later: not in line yet
    running = enqueue_one(store, T0)
    assert store.claim(WORKER, ["default"], 1, LEASE, T0)[0].id == running
    due = enqueue_one(store, T0, run_at=T0 + 1)  # scheduled, and due by `now`
    cancelled = enqueue_one(store, T0 + 2)
    store.cancel(cancelled, "not needed", T0 + 2)
    mine = enqueue_one(store, T0 + 3)
    assert store.queue_position(mine, T0 + 5) == 2  # behind `due` only
    assert store.queue_position(due, T0 + 5) == 1
    assert store.queue_position(running, T0 + 5) is None
    assert store.queue_position(cancelled, T0 + 5) is None


def test_position_is_none_for_a_job_not_ready_yet_or_unknown(store: Store) -> None:
    later = enqueue_one(store, T0, run_at=T0 + 60)
    assert store.queue_position(later, T0) is None
    assert store.queue_position(later, T0 + 60) == 1
    assert store.queue_position("01ZZZZZZZZZZZZZZZZZZZZZZZZ", T0) is None


def test_position_moves_up_as_jobs_ahead_are_claimed(store: Store) -> None:
    ids = [enqueue_one(store, T0 + n) for n in range(4)]
    store.claim(WORKER, None, 2, LEASE, T0 + 10)
    assert store.queue_position(ids[3], T0 + 10) == 2


# -- tasks ahead ------------------------------------------------------------------------------


def test_tasks_ahead_counts_the_jobs_before_it_by_task(store: Store) -> None:
    for n, task in enumerate(["mail", "pdf", "mail", "pdf", "mail"]):
        enqueue_one(store, T0 + n, task=task)
    enqueue_one(store, T0 + 1, task="elsewhere", queue="other")
    mine = enqueue_one(store, T0 + 10, task="pdf")
    enqueue_one(store, T0 + 11, task="behind")
    assert store.tasks_ahead(mine, T0 + 20, 100) == {"mail": 3, "pdf": 2}
    assert store.tasks_ahead(mine, T0 + 20, 2) == {"mail": 1, "pdf": 1}  # the first two
    assert store.tasks_ahead(mine, T0 + 20, 0) == {}


def test_tasks_ahead_of_a_job_not_in_line_is_empty(store: Store) -> None:
    enqueue_one(store, T0)
    later = enqueue_one(store, T0, run_at=T0 + 60)
    assert store.tasks_ahead(later, T0, 10) == {}
    assert store.tasks_ahead("01ZZZZZZZZZZZZZZZZZZZZZZZZ", T0, 10) == {}


# -- delete -----------------------------------------------------------------------------------


def test_delete_a_waiting_job_with_its_events(store: Store) -> None:
    job_id = enqueue_one(store, key="stripe:evt_7")
    kept = enqueue_one(store)
    deleted = store.delete_job(job_id)
    assert (deleted.id, deleted.state) == (job_id, JobState.QUEUED)
    assert store.get_job(job_id) is None and store.job_events(job_id) == []
    assert store.get_job(kept) is not None and store.job_events(kept) != []
    again = store.enqueue([new_job(key="stripe:evt_7")], T0 + 1)[0]  # its key is free again
    assert again.created and again.id != job_id
    assert store.claim(WORKER, None, 10, LEASE, T0 + 2)[0].id == kept


def test_delete_a_finished_job(store: Store) -> None:
    job_id = enqueue_one(store)
    [claim] = store.claim(WORKER, None, 1, LEASE, T0)
    store.ack(WORKER, [Ack(job_id, claim.lease_token, Succeeded("1"))], T0 + 1)
    assert store.delete_job(job_id).state == JobState.SUCCEEDED
    assert store.get_job(job_id) is None


def test_delete_refuses_a_running_job(store: Store) -> None:
    job_id = enqueue_one(store)
    store.claim(WORKER, None, 1, LEASE, T0)
    with pytest.raises(InvalidTransitionError, match="running; cancel it first"):
        store.delete_job(job_id)
    job = store.get_job(job_id)
    assert job is not None and job.state == JobState.RUNNING
    assert [e.kind for e in store.job_events(job_id)] == ["enqueued", "claimed"]


def test_delete_an_unknown_job(store: Store) -> None:
    with pytest.raises(JobNotFoundError):
        store.delete_job("01ZZZZZZZZZZZZZZZZZZZZZZZZ")
