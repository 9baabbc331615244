"""The store contract: what every store must do, checked the same way for each."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from cargohold.errors import ConfigurationError, InvalidTransitionError, JobNotFoundError
from cargohold.ids import new_job_id
from cargohold.outcome import Cancelled, Failed, HandedBack, Retrying, Snoozed, Succeeded
from cargohold.records import Ack, JobFilter, NewJob, ProgressUpdate, WorkerInfo
from cargohold.states import JobState
from cargohold.store import Store

T0 = 1_800_000_000.0
LEASE = 30.0
WORKER = "host:1:aaaaaa"
OTHER = "host:2:bbbbbb"


def new_job(task: str = "t", **fields: object) -> NewJob:
    values: dict[str, object] = {
        "id": new_job_id(),
        "task": task,
        "queue": "default",
        "args": '{"args":[],"kwargs":{}}',
        "max_attempts": 3,
    }
    values.update(fields)
    return NewJob(**values)  # type: ignore[arg-type]


def enqueue_one(store: Store, now: float = T0, **fields: object) -> str:
    return store.enqueue([new_job(**fields)], now)[0].id


def kinds(store: Store, job_id: str) -> list[str]:
    return [event.kind for event in store.job_events(job_id)]


# -- enqueue ----------------------------------------------------------------------------------


def test_a_batch_keeps_each_jobs_own_fields_and_arguments(store: Store) -> None:
    # Given jobs alike but for their arguments (some far from plain ASCII), and others
    texts = ["plain", "é ☕ \u2028", 'quote " and \\ backslash', "\\u0000 not a NUL", "x" * 3000]
    alike = [new_job(args=json.dumps({"args": [text], "kwargs": {}})) for text in texts]
    unlike = new_job(task="other", queue="reports", priority=7, timeout=9.0, memory=1024)
    later = new_job(run_at=T0 + 60)

    # When they are enqueued, the alike together, then with others
    results = store.enqueue(alike, T0) + store.enqueue([unlike, later], T0)

    # Then each is written with its own id, arguments and fields, in order
    assert [r.id for r in results] == [job.id for job in [*alike, unlike, later]]
    for job in alike:
        found = store.get_job(job.id)
        assert found is not None and (found.args, found.task) == (job.args, "t")
        assert found.state == JobState.QUEUED
    other = store.get_job(unlike.id)
    assert other is not None
    assert (other.task, other.queue, other.priority, other.timeout, other.memory) == (
        "other",
        "reports",
        7,
        9.0,
        1024,
    )
    scheduled = store.get_job(later.id)
    assert scheduled is not None and scheduled.state == JobState.SCHEDULED


def test_a_large_batch_of_alike_jobs_is_written_whole_and_in_order(store: Store) -> None:
    jobs = [new_job(args=json.dumps({"args": [n], "kwargs": {}})) for n in range(1_200)]
    results = store.enqueue(jobs, T0)
    assert [r.id for r in results] == [job.id for job in jobs]
    found = store.find_jobs(JobFilter(limit=2_000))
    assert sorted((job.id, job.args) for job in found) == sorted((j.id, j.args) for j in jobs)


def test_enqueue_writes_a_queued_job_with_an_event(store: Store) -> None:
    job_id = enqueue_one(store, task="send_mail", priority=5, timeout=12.5)
    job = store.get_job(job_id)
    assert job is not None
    assert (job.state, job.task, job.priority, job.attempt, job.timeout) == (
        JobState.QUEUED,
        "send_mail",
        5,
        0,
        12.5,
    )
    assert job.created_at == T0 and job.run_at == T0
    assert kinds(store, job_id) == ["enqueued"]


def test_enqueue_in_the_future_is_scheduled(store: Store) -> None:
    job_id = enqueue_one(store, run_at=T0 + 60)
    assert store.get_job(job_id).state == JobState.SCHEDULED  # type: ignore[union-attr]


def test_a_known_key_returns_the_existing_job(store: Store) -> None:
    first = store.enqueue([new_job(key="stripe:evt_1")], T0)[0]
    again = store.enqueue([new_job(key="stripe:evt_1"), new_job(key="stripe:evt_2")], T0 + 1)
    assert first.created
    assert again[0].id == first.id and not again[0].created
    assert again[1].created and again[1].id != first.id
    assert len(store.find_jobs(JobFilter(key="stripe:evt_1"))) == 1


def test_a_key_stays_taken_after_the_job_finished(store: Store) -> None:
    job_id = enqueue_one(store, key="k")
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    store.ack(WORKER, [Ack(job_id, claim.lease_token, Succeeded("1"))], T0)
    again = store.enqueue([new_job(key="k")], T0 + 5)[0]
    assert again.id == job_id and not again.created


def test_concurrent_enqueues_of_one_key_make_one_job(store: Store) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def producer() -> None:
        result = store.enqueue([new_job(key="race")], T0)[0]
        with lock:
            ids.append(result.id)

    threads = [threading.Thread(target=producer) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    assert len(store.find_jobs(JobFilter(key="race"))) == 1


# -- claim ------------------------------------------------------------------------------------


def test_claim_takes_only_ready_jobs(store: Store) -> None:
    ready = {enqueue_one(store, T0 + n) for n in range(3)}
    enqueue_one(store, T0, run_at=T0 + 100)
    claims = store.claim(WORKER, None, 10, LEASE, T0 + 3)
    assert {c.id for c in claims} == ready
    assert store.claim(OTHER, None, 10, LEASE, T0 + 3) == []


def test_claim_order_is_priority_then_run_at(store: Store) -> None:
    low_old = enqueue_one(store, T0, priority=0)
    low_new = enqueue_one(store, T0 + 1, priority=0)
    high = enqueue_one(store, T0 + 2, priority=9)
    order = [store.claim(WORKER, None, 1, LEASE, T0 + 3)[0].id for _ in range(3)]
    assert order == [high, low_old, low_new]


def test_claim_sets_lease_attempt_worker_and_records_it(store: Store) -> None:
    job_id = enqueue_one(store)
    claim = store.claim(WORKER, None, 5, LEASE, T0 + 1)[0]
    job = store.get_job(job_id)
    assert job is not None
    assert claim.id == job_id and claim.attempt == 1 and claim.lease_token
    assert (job.state, job.attempt, job.worker_id, job.lease_token) == (
        JobState.RUNNING,
        1,
        WORKER,
        claim.lease_token,
    )
    assert job.lease_expires_at == pytest.approx(T0 + 1 + LEASE)
    event = store.job_events(job_id)[-1]
    assert (event.kind, event.lease_token, event.worker_id) == (
        "claimed",
        claim.lease_token,
        WORKER,
    )


def test_claim_respects_the_limit_and_never_hands_a_job_out_twice(store: Store) -> None:
    store.enqueue([new_job() for _ in range(7)], T0)
    first = store.claim(WORKER, None, 5, LEASE, T0)
    second = store.claim(OTHER, None, 5, LEASE, T0)
    assert len(first) == 5 and len(second) == 2
    assert not {c.id for c in first} & {c.id for c in second}
    assert len({c.lease_token for c in first + second}) == 7


def test_claim_filters_by_queue(store: Store) -> None:
    mail = enqueue_one(store, queue="mail")
    enqueue_one(store, queue="books")
    claims = store.claim(WORKER, ["mail", "other"], 10, LEASE, T0)
    assert [c.id for c in claims] == [mail]


def test_claim_waits_for_run_at(store: Store) -> None:
    job_id = enqueue_one(store, run_at=T0 + 10)
    assert store.claim(WORKER, None, 1, LEASE, T0 + 9) == []
    assert store.claim(WORKER, None, 1, LEASE, T0 + 10)[0].id == job_id


def test_concurrent_claims_never_share_a_job(store: Store) -> None:
    store.enqueue([new_job() for _ in range(200)], T0)
    claimed: list[str] = []
    lock = threading.Lock()

    def consumer(worker: str) -> None:
        while True:
            batch = store.claim(worker, None, 3, LEASE, T0)
            if not batch:
                return
            with lock:
                claimed.extend(c.id for c in batch)

    threads = [threading.Thread(target=consumer, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 200 and len(set(claimed)) == 200


def test_one_enqueue_call_writes_a_key_once_and_names_its_holder_after(store: Store) -> None:
    first, twin, other = new_job(key="k1"), new_job(key="k1"), new_job()
    results = store.enqueue([first, twin, other], T0)
    assert [(r.id, r.created) for r in results] == [
        (first.id, True),
        (first.id, False),
        (other.id, True),
    ]
    assert kinds(store, first.id) == ["enqueued"] and store.get_job(twin.id) is None


def test_a_large_enqueue_writes_every_job_in_order_with_taken_keys_named(store: Store) -> None:
    """Thousands of jobs in one call (written in several statements by some stores), keys
    taken before the call and within it, and a delayed job among them."""
    held = store.enqueue([new_job(key="held")], T0)[0].id
    jobs = [new_job() for _ in range(1_234)]
    jobs[700] = new_job(key="held")
    jobs[5] = new_job(key="twice")
    jobs[1_100] = new_job(key="twice")
    jobs[900] = new_job(run_at=T0 + 60)
    results = store.enqueue(jobs, T0)

    expected = [(job.id, True) for job in jobs]
    expected[700] = (held, False)
    expected[1_100] = (jobs[5].id, False)
    assert [(r.id, r.created) for r in results] == expected
    written = {job.id for job in jobs} - {jobs[700].id, jobs[1_100].id}
    found = store.find_jobs(JobFilter(limit=2_000))
    assert {job.id for job in found} == written | {held}
    delayed = store.get_job(jobs[900].id)
    assert delayed is not None and delayed.state == JobState.SCHEDULED
    assert kinds(store, jobs[1_233].id) == ["enqueued"]


# -- ack --------------------------------------------------------------------------------------


def test_ack_success_stores_the_result(store: Store) -> None:
    job_id = enqueue_one(store)
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    assert store.ack(
        WORKER, [Ack(job_id, claim.lease_token, Succeeded('{"pdf":"a"}'))], T0 + 2
    ) == [True]
    job = store.get_job(job_id)
    assert job is not None
    assert job.state == JobState.SUCCEEDED and job.result_value == {"pdf": "a"}
    assert job.finished_at == T0 + 2 and job.duration == 2
    assert kinds(store, job_id) == ["enqueued", "claimed", "succeeded"]


def test_ack_with_a_stale_lease_changes_nothing(store: Store) -> None:
    job_id = enqueue_one(store)
    stale = store.claim(WORKER, None, 1, LEASE, T0)[0]
    store.rescue(OTHER, T0 + LEASE + 1)
    fresh = store.claim(OTHER, None, 1, LEASE, T0 + LEASE + 2)[0]
    assert fresh.lease_token != stale.lease_token and fresh.attempt == 2
    before = store.get_job(job_id)
    assert store.ack(WORKER, [Ack(job_id, stale.lease_token, Succeeded("1"))], T0 + 40) == [False]
    assert store.record_progress([ProgressUpdate(job_id, stale.lease_token, 1, 2, "x")]) == [False]
    assert store.get_job(job_id) == before
    assert store.ack(OTHER, [Ack(job_id, fresh.lease_token, Succeeded("2"))], T0 + 41) == [True]
    assert store.ack(OTHER, [Ack(job_id, fresh.lease_token, Failed("late"))], T0 + 42) == [False]
    assert store.get_job(job_id).result == "2"  # type: ignore[union-attr]


def test_acks_in_one_call_are_fenced_one_by_one_and_answered_in_order(store: Store) -> None:
    ids = [enqueue_one(store, task="batch") for _ in range(4)]
    claims = {c.id: c for c in store.claim(WORKER, None, 4, LEASE, T0)}
    acks = [
        Ack(ids[0], claims[ids[0]].lease_token, Succeeded('"a"'), peak_memory=5, duration=0.25),
        Ack(ids[1], "not-its-token", Succeeded('"stale"'), peak_memory=6, duration=0.5),
        Ack(ids[2], claims[ids[2]].lease_token, Failed("bad")),
        Ack(ids[3], claims[ids[3]].lease_token, Succeeded(None), duration=0.75),
    ]
    assert store.ack(WORKER, acks, T0 + 3) == [True, False, True, True]
    first, stale, failed, last = (store.get_job(job_id) for job_id in ids)
    assert first is not None and stale is not None and failed is not None and last is not None
    assert (first.state, first.result, first.peak_memory) == (JobState.SUCCEEDED, '"a"', 5)
    assert (stale.state, stale.result, stale.peak_memory) == (JobState.RUNNING, None, None)
    assert failed.state == JobState.FAILED and last.state == JobState.SUCCEEDED
    assert kinds(store, ids[1]) == ["enqueued", "claimed"]
    assert kinds(store, ids[3]) == ["enqueued", "claimed", "succeeded"]
    # What the worker measured, not the time since the claim, is what the task learns.
    (stats,) = [s for s in store.task_stats() if s.task == "batch"]
    assert sorted(stats.durations) == [0.25, 0.75]


def test_each_task_remembers_its_latest_runs_across_ack_calls(store: Store) -> None:
    """Two tasks' successes interleaved in each call: each task keeps its own most recent
    observations (twenty), oldest first, whatever the order the store reads them in."""
    for call in range(3):
        ids = [enqueue_one(store, task="even" if n % 2 == 0 else "odd") for n in range(16)]
        claims = {c.id: c for c in store.claim(WORKER, None, 16, LEASE, T0)}
        acks = [
            Ack(
                job_id,
                claims[job_id].lease_token,
                Succeeded(None),
                peak_memory=1_000 * call + n,
                duration=float(call * 100 + n),
            )
            for n, job_id in enumerate(ids)
        ]
        assert store.ack(WORKER, acks, T0 + 1) == [True] * 16
    stats = {s.task: s for s in store.task_stats()}
    for task, parity in (("even", 0), ("odd", 1)):
        peaks, durations = stats[task].peaks, stats[task].durations
        # 24 runs each: the 16 of the last two calls, and 4 of the first (in the order the
        # store applied that call's outcomes).
        later = {1_000 * call + n for call in (1, 2) for n in range(parity, 16, 2)}
        assert len(peaks) == len(durations) == 20 and later <= set(peaks)
        assert all(peak % 2 == parity for peak in peaks)
        # The same runs kept for both: a run's (call, n) from its peak and its duration.
        assert {divmod(int(d), 100) for d in durations} == {divmod(p, 1_000) for p in peaks}


def test_ack_retrying_schedules_the_next_attempt(store: Store) -> None:
    job_id = enqueue_one(store)
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    store.ack(WORKER, [Ack(job_id, claim.lease_token, Retrying(T0 + 30, "boom", "tb"))], T0 + 1)
    job = store.get_job(job_id)
    assert job is not None
    assert (job.state, job.run_at, job.error, job.traceback, job.attempt) == (
        JobState.SCHEDULED,
        T0 + 30,
        "boom",
        "tb",
        1,
    )
    assert store.claim(WORKER, None, 1, LEASE, T0 + 29) == []
    assert store.claim(WORKER, None, 1, LEASE, T0 + 30)[0].attempt == 2


def test_ack_snoozed_does_not_count_the_attempt(store: Store) -> None:
    job_id = enqueue_one(store)
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    store.ack(WORKER, [Ack(job_id, claim.lease_token, Snoozed(T0 + 5, "later"))], T0)
    assert store.get_job(job_id).attempt == 0  # type: ignore[union-attr]
    assert store.claim(WORKER, None, 1, LEASE, T0 + 5)[0].attempt == 1


def test_ack_failed_and_cancelled_are_terminal(store: Store) -> None:
    failed, cancelled = enqueue_one(store), enqueue_one(store)
    claims = {c.id: c for c in store.claim(WORKER, None, 2, LEASE, T0)}
    store.ack(
        WORKER,
        [
            Ack(failed, claims[failed].lease_token, Failed("bad", "tb", crashed=True)),
            Ack(cancelled, claims[cancelled].lease_token, Cancelled("user asked")),
        ],
        T0 + 1,
    )
    f, c = store.get_job(failed), store.get_job(cancelled)
    assert f is not None and c is not None
    assert (f.state, f.error, f.crashes) == (JobState.FAILED, "bad", 1)
    assert (c.state, c.error) == (JobState.CANCELLED, "user asked")
    assert store.claim(WORKER, None, 5, LEASE, T0 + 100) == []


def test_handed_back_jobs_run_again_without_losing_an_attempt(store: Store) -> None:
    job_id = enqueue_one(store)
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    store.ack(WORKER, [Ack(job_id, claim.lease_token, HandedBack("shutdown"))], T0 + 1)
    job = store.get_job(job_id)
    assert job is not None and (job.state, job.attempt) == (JobState.QUEUED, 0)
    assert store.claim(OTHER, None, 1, LEASE, T0 + 1)[0].attempt == 1


def test_one_ack_call_persists_outcomes_of_every_kind_each_in_its_place(store: Store) -> None:
    from cargohold.outcome import MemoryKilled

    # Given: nine running jobs, two of them under a limit.
    ids = [
        enqueue_one(store, T0 + n / 10, limits=(("api", ""),) if n in (0, 3) else ())
        for n in range(9)
    ]
    claims = {c.id: c for c in store.claim(WORKER, None, 9, LEASE, T0 + 1, limits={"api": 2})}
    outcomes = [
        Succeeded("1"),
        Retrying(T0 + 30, "boom", "tb"),
        Snoozed(T0 + 5, "later"),
        Failed("bad", "tb"),
        Cancelled("asked"),
        HandedBack("shutdown"),
        MemoryKilled(T0 + 9, "outgrew", 64 * 2**20),
        Succeeded("2"),
        Succeeded("3"),
    ]
    acks = [Ack(ids[n], claims[ids[n]].lease_token, o) for n, o in enumerate(outcomes)]
    acks.insert(4, Ack(ids[1], "not-its-token", Failed("late")))
    acks.append(Ack(ids[7], claims[ids[7]].lease_token, Failed("again")))
    # When: their outcomes are persisted in one call, with one from a stale lease and a
    # second outcome for the same attempt.
    accepted = store.ack(WORKER, acks, T0 + 2)
    # Then: each answer is in its outcome's place, and each job got its own outcome.
    assert accepted == [True] * 4 + [False] + [True] * 5 + [False]
    jobs = [store.get_job(job_id) for job_id in ids]
    assert [job.state for job in jobs if job is not None] == [
        JobState.SUCCEEDED,
        JobState.SCHEDULED,
        JobState.SCHEDULED,
        JobState.FAILED,
        JobState.CANCELLED,
        JobState.QUEUED,
        JobState.SCHEDULED,
        JobState.SUCCEEDED,
        JobState.SUCCEEDED,
    ]
    assert [job.result for job in jobs if job is not None][7:] == ["2", "3"]
    assert [kinds(store, job_id)[-1] for job_id in ids] == [
        "succeeded",
        "retrying",
        "snoozed",
        "failed",
        "cancelled",
        "handed_back",
        "memory_killed",
        "succeeded",
        "succeeded",
    ]
    assert store.limit_holders("api", "", T0 + 2) == []  # the attempts' slots are free


def test_crashes_are_counted_across_attempts(store: Store) -> None:
    job_id = enqueue_one(store)
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    store.ack(WORKER, [Ack(job_id, claim.lease_token, Retrying(T0, "died", crashed=True))], T0)
    assert store.claim(WORKER, None, 1, LEASE, T0)[0].crashes == 1


# -- leases -----------------------------------------------------------------------------------


def test_heartbeat_extends_only_the_leases_named(store: Store) -> None:
    mine, theirs = enqueue_one(store), enqueue_one(store)
    [claim] = store.claim(WORKER, None, 1, LEASE, T0)
    [other] = store.claim(OTHER, None, 1, LEASE, T0)
    reply = store.heartbeat(WORKER, [claim.lease_token, other.lease_token], LEASE, T0 + 20)
    assert reply.held == {mine} and not reply.cancel_requested
    assert store.get_job(mine).lease_expires_at == T0 + 20 + LEASE  # type: ignore[union-attr]
    assert store.get_job(theirs).lease_expires_at == T0 + LEASE  # type: ignore[union-attr]


def test_a_lease_the_worker_does_not_know_it_holds_is_left_to_expire(store: Store) -> None:
    """A claim whose reply never reached the worker must be rescued, not kept alive."""
    known, orphan = enqueue_one(store, T0), enqueue_one(store, T0 + 1)
    claims = store.claim(WORKER, None, 2, LEASE, T0 + 2)
    kept = [c.lease_token for c in claims if c.id == known]
    assert store.heartbeat(WORKER, kept, LEASE, T0 + 20).held == {known}
    assert store.rescue("rescuer", T0 + 2 + LEASE + 1).requeued == (orphan,)


def test_rescue_requeues_expired_leases_only(store: Store) -> None:
    expired, alive = enqueue_one(store), enqueue_one(store)
    store.claim(WORKER, None, 1, LEASE, T0)
    store.claim(OTHER, None, 1, LEASE, T0 + 10)
    report = store.rescue("rescuer", T0 + LEASE + 1)
    assert report.requeued == (expired,) and report.failed == ()
    assert store.get_job(expired).state == JobState.QUEUED  # type: ignore[union-attr]
    assert store.get_job(alive).state == JobState.RUNNING  # type: ignore[union-attr]
    assert kinds(store, expired)[-1] == "rescued"


def test_rescue_fails_a_job_whose_last_attempt_was_lost(store: Store) -> None:
    job_id = enqueue_one(store, max_attempts=2)
    for n in range(2):
        store.claim(WORKER, None, 1, LEASE, T0 + n * 100)
        store.rescue("rescuer", T0 + n * 100 + LEASE + 1)
    job = store.get_job(job_id)
    assert job is not None and job.state == JobState.FAILED and job.attempt == 2
    assert "lease expired" in (job.error or "")


def test_rescue_finishes_the_cancel_of_a_lost_running_job(store: Store) -> None:
    job_id = enqueue_one(store)
    store.claim(WORKER, None, 1, LEASE, T0)
    store.cancel(job_id, "stop", T0 + 1)
    report = store.rescue("rescuer", T0 + LEASE + 1)
    assert job_id not in report.requeued
    assert store.get_job(job_id).state == JobState.CANCELLED  # type: ignore[union-attr]


def test_manual_retry_forgets_crashes(store: Store) -> None:
    job_id = enqueue_one(store)
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    store.ack(WORKER, [Ack(job_id, claim.lease_token, Failed("poison", crashed=True))], T0)
    store.retry(job_id, T0 + 1)
    assert store.claim(WORKER, None, 1, LEASE, T0 + 1)[0].crashes == 0


def test_rescue_promotes_due_scheduled_jobs(store: Store) -> None:
    job_id = enqueue_one(store, run_at=T0 + 5)
    store.rescue("rescuer", T0 + 6)
    assert store.get_job(job_id).state == JobState.QUEUED  # type: ignore[union-attr]


def test_progress_is_stored_while_the_lease_holds(store: Store) -> None:
    job_id = enqueue_one(store)
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    assert store.record_progress(
        [ProgressUpdate(job_id, claim.lease_token, 4, 12, "page 4 of 12")]
    ) == [True]
    job = store.get_job(job_id)
    assert job is not None
    assert (job.progress_current, job.progress_total, job.progress_message) == (
        4,
        12,
        "page 4 of 12",
    )


# -- admin ------------------------------------------------------------------------------------


def test_cancel_a_waiting_job_at_once(store: Store) -> None:
    job_id = enqueue_one(store)
    job = store.cancel(job_id, "not needed", T0 + 1)
    assert job.state == JobState.CANCELLED and job.error == "not needed"
    assert store.claim(WORKER, None, 1, LEASE, T0 + 2) == []


def test_cancel_a_running_job_asks_its_worker(store: Store) -> None:
    job_id = enqueue_one(store)
    [claim] = store.claim(WORKER, None, 1, LEASE, T0)
    assert store.cancel(job_id, "stop", T0 + 1).state == JobState.RUNNING
    reply = store.heartbeat(WORKER, [claim.lease_token], LEASE, T0 + 2)
    assert reply.cancel_requested == {job_id}


def test_cancel_unknown_job(store: Store) -> None:
    with pytest.raises(JobNotFoundError):
        store.cancel("nope", "x", T0)


def test_retry_requeues_failed_jobs_with_fresh_attempts(store: Store) -> None:
    job_id = enqueue_one(store)
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    store.ack(WORKER, [Ack(job_id, claim.lease_token, Failed("bad"))], T0)
    job = store.retry(job_id, T0 + 1)
    assert (job.state, job.attempt, job.error) == (JobState.QUEUED, 0, None)
    with pytest.raises(InvalidTransitionError):
        store.retry(job_id, T0 + 2)


def test_prune_deletes_old_finished_jobs_only(store: Store) -> None:
    old, recent, waiting = enqueue_one(store), enqueue_one(store), enqueue_one(store)
    claims = {c.id: c for c in store.claim(WORKER, None, 2, LEASE, T0)}
    store.ack(WORKER, [Ack(old, claims[old].lease_token, Succeeded("1"))], T0)
    store.ack(WORKER, [Ack(recent, claims[recent].lease_token, Succeeded("1"))], T0 + 100)
    assert store.prune(JobState.SUCCEEDED, before=T0 + 50) == 1
    assert store.get_job(old) is None and store.job_events(old) == []
    assert store.get_job(recent) is not None and store.get_job(waiting) is not None
    with pytest.raises(InvalidTransitionError):
        store.prune(JobState.QUEUED, before=T0 + 1000)


def test_find_jobs_filters_and_pages(store: Store) -> None:
    ids = [enqueue_one(store, T0 + n, task="a" if n % 2 else "b", queue="q") for n in range(6)]
    found = store.find_jobs(JobFilter(tasks=("a",), limit=2))
    assert [j.id for j in found] == [ids[5], ids[3]]
    page2 = store.find_jobs(JobFilter(tasks=("a",), limit=2, offset=2))
    assert [j.id for j in page2] == [ids[1]]
    oldest = store.find_jobs(JobFilter(newest_first=False, limit=1))
    assert oldest[0].id == ids[0]
    assert store.find_jobs(JobFilter(states=(JobState.RUNNING,))) == []
    assert len(store.find_jobs(JobFilter(ids=(ids[0], ids[4])))) == 2


def test_count_jobs_by_queue_and_state(store: Store) -> None:
    enqueue_one(store, queue="a")
    enqueue_one(store, queue="a")
    enqueue_one(store, queue="b", run_at=T0 + 10)
    counts = store.count_jobs()
    assert counts["a"][JobState.QUEUED] == 2 and counts["b"][JobState.SCHEDULED] == 1
    assert counts["a"].total == 2


def test_workers_register_and_go_stale(store: Store) -> None:
    store.register_worker(WorkerInfo(WORKER, "host", 1, ("a",), 2, T0, T0))
    store.register_worker(WorkerInfo(OTHER, "host", 2, None, 1, T0, T0))
    store.touch_worker(WORKER, T0 + 100)
    assert store.forget_stale_workers(before=T0 + 50) == 1
    [worker] = store.list_workers()
    assert (worker.id, worker.queues, worker.last_seen) == (WORKER, ("a",), T0 + 100)
    store.unregister_worker(WORKER)
    assert store.list_workers() == []


def test_migrate_is_idempotent(store: Store) -> None:
    assert store.migrate() == 0


def test_wakeup_fires_when_a_ready_job_is_enqueued(store: Store) -> None:
    import select

    wakeup = store.wakeup()
    assert wakeup is not None
    try:
        wakeup.drain()
        enqueue_one(store, store.now())
        readable, _, _ = select.select([wakeup.fileno()], [], [], 5.0)
        assert readable, "no wake-up within 5 s of a ready job's enqueue"
        assert wakeup.drain().woken
    finally:
        wakeup.close()


def test_ack_and_claim_is_one_round(store: Store) -> None:
    done = enqueue_one(store)
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    following = enqueue_one(store, T0 + 1)
    accepted, claims = store.ack_and_claim(
        WORKER, [Ack(done, claim.lease_token, Succeeded("1"))], None, 5, LEASE, T0 + 2
    )
    assert accepted == [True] and [c.id for c in claims] == [following]
    assert store.get_job(done).state == JobState.SUCCEEDED  # type: ignore[union-attr]
    stale, more = store.ack_and_claim(
        WORKER, [Ack(done, claim.lease_token, Failed("x"))], ["other"], 5, LEASE, T0 + 3
    )
    assert stale == [False] and more == []


# -- memory -----------------------------------------------------------------------------------

MIB = 1024 * 1024


def test_claim_with_memory_takes_jobs_that_fit_and_lets_small_ones_pass(store: Store) -> None:
    from cargohold.memory.admission import RUNNER_OVERHEAD, MemoryOffer

    enqueue_one(store, T0, memory=300 * MIB)
    small = enqueue_one(store, T0 + 1, memory=40 * MIB)
    other_small = enqueue_one(store, T0 + 2, memory=40 * MIB)
    claims = store.claim(
        WORKER, None, 5, LEASE, T0 + 3, memory=MemoryOffer(free=100 * MIB, unknown_need=100 * MIB)
    )
    assert [c.id for c in claims] == [small, other_small]
    assert [c.need for c in claims] == [40 * MIB + RUNNER_OVERHEAD] * 2


def test_claim_with_memory_finds_a_job_that_fits_behind_many_that_do_not(store: Store) -> None:
    from cargohold.memory.admission import MemoryOffer

    for n in range(4):
        enqueue_one(store, T0 + n, memory=300 * MIB)
    small = enqueue_one(store, T0 + 5, memory=40 * MIB)
    offer = MemoryOffer(free=100 * MIB, unknown_need=100 * MIB)
    claims = store.claim(WORKER, None, 2, LEASE, T0 + 6, memory=offer)
    assert [c.id for c in claims] == [small]


@pytest.mark.parametrize("limited", [False, True], ids=["no limits", "under a limit"])
def test_claim_with_memory_looks_no_further_than_its_horizon(store: Store, limited: bool) -> None:
    """A smaller job passes larger ones only within the first `CLAIM_HORIZON` in line, so
    that a claim's cost does not grow with the backlog; by a worker that knows limits too."""
    from cargohold.memory.admission import MemoryOffer
    from cargohold.store.fitting import CLAIM_HORIZON

    refs = (("api", ""),) if limited else ()
    big = [new_job(memory=300 * MIB, run_at=T0, limits=refs) for _ in range(CLAIM_HORIZON - 1)]
    store.enqueue(big, T0)
    last_within = enqueue_one(store, T0 + 1, memory=40 * MIB, limits=refs)
    enqueue_one(store, T0 + 2, memory=40 * MIB, limits=refs)  # first beyond the horizon
    offer = MemoryOffer(free=100 * MIB, unknown_need=100 * MIB)
    limits = {"api": 5} if limited else None
    claims = store.claim(WORKER, None, 5, LEASE, T0 + 3, memory=offer, limits=limits)
    assert [c.id for c in claims] == [last_within]


def test_a_job_of_unknown_need_runs_alone(store: Store) -> None:
    from cargohold.memory.admission import MemoryOffer

    first, _ = enqueue_one(store, T0), enqueue_one(store, T0 + 1)
    claims = store.claim(
        WORKER, None, 5, LEASE, T0 + 2, memory=MemoryOffer(free=400 * MIB, unknown_need=400 * MIB)
    )
    assert [c.id for c in claims] == [first] and claims[0].need is None
    assert (
        store.claim(
            WORKER,
            None,
            5,
            LEASE,
            T0 + 2,
            memory=MemoryOffer(free=300 * MIB, unknown_need=301 * MIB),
        )
        == []
    )


def test_head_need_names_the_job_first_in_line(store: Store) -> None:
    assert store.head_need(None, T0) is None
    big = enqueue_one(store, T0, memory=300 * MIB, priority=5)
    enqueue_one(store, T0, memory=10 * MIB)
    head = store.head_need(None, T0 + 1)
    assert head is not None and head[0] == big and head[1] is not None and head[1] > 300 * MIB


def test_memory_kill_raises_the_reservation_without_spending_an_attempt(store: Store) -> None:
    from cargohold.outcome import MemoryKilled

    job_id = enqueue_one(store, memory=50 * MIB)
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    outcome = MemoryKilled(T0 + 1, "killed at its 58 MiB reservation", 232 * MIB)
    assert store.ack(
        WORKER, [Ack(job_id, claim.lease_token, outcome, peak_memory=58 * MIB)], T0
    ) == [True]
    job = store.get_job(job_id)
    assert job is not None
    assert (job.state, job.attempt, job.memory_kills) == (JobState.SCHEDULED, 0, 1)
    assert (job.reservation, job.need, job.peak_memory) == (232 * MIB, 232 * MIB, 58 * MIB)
    again = store.claim(WORKER, None, 1, LEASE, T0 + 1)[0]
    assert (again.attempt, again.memory_kills, again.need) == (1, 1, 232 * MIB)


def test_successes_teach_a_task_its_memory_and_duration(store: Store) -> None:
    from cargohold.memory.admission import RUNNER_OVERHEAD, learned_reservation

    peaks = [100 * MIB, 120 * MIB, 110 * MIB]
    for n, peak in enumerate(peaks):
        job_id = enqueue_one(store, T0 + n * 10, task="render", memory=10 * MIB)
        claim = store.claim(WORKER, None, 1, LEASE, T0 + n * 10)[0]
        assert claim.id == job_id
        store.ack(
            WORKER,
            [Ack(job_id, claim.lease_token, Succeeded("1"), peak_memory=peak)],
            T0 + n * 10 + 2,
        )
    [stats] = store.task_stats()
    assert stats.task == "render" and stats.peaks == tuple(peaks)
    assert stats.durations == (2.0, 2.0, 2.0)
    expected = int(120 * MIB * 1.10) + RUNNER_OVERHEAD
    assert stats.learned_memory == learned_reservation(peaks) == expected
    job_id = enqueue_one(store, T0 + 100, task="render", memory=10 * MIB)
    assert store.get_job(job_id).need == stats.learned_memory  # type: ignore[union-attr]
    assert store.claim(WORKER, None, 1, LEASE, T0 + 100)[0].need == stats.learned_memory


def test_workers_report_their_memory(store: Store) -> None:
    from cargohold.records import MemoryReport

    store.register_worker(WorkerInfo(WORKER, "host", 1, None, 2, T0, T0))
    store.heartbeat(WORKER, [], LEASE, T0 + 1, memory=MemoryReport(budget=400 * MIB, free=90 * MIB))
    [worker] = store.list_workers()
    assert (worker.memory_budget, worker.memory_free) == (400 * MIB, 90 * MIB)


# -- transactional enqueue: the caller's connection and transaction ----------------------------


def test_enqueue_in_writes_the_job_only_when_the_caller_commits(
    store: Store, connect: Callable[..., Any]
) -> None:
    connection = connect()
    [result] = store.enqueue_in(connection, [new_job(key="order:1")], T0)
    assert result.created
    assert store.get_job(result.id) is None, "visible before the caller's commit"
    connection.commit()
    job = store.get_job(result.id)
    assert job is not None and job.state == JobState.QUEUED and job.key == "order:1"
    assert kinds(store, result.id) == ["enqueued"]


def test_enqueue_in_rolled_back_leaves_no_job_no_event_no_key(
    store: Store, connect: Callable[..., Any]
) -> None:
    connection = connect()
    [result] = store.enqueue_in(connection, [new_job(key="order:2"), new_job()], T0)[:1]
    connection.rollback()
    assert store.get_job(result.id) is None and store.job_events(result.id) == []
    assert store.find_jobs(JobFilter()) == []
    assert store.enqueue([new_job(key="order:2")], T0)[0].created


def test_enqueue_in_returns_the_job_holding_a_committed_key(
    store: Store, connect: Callable[..., Any]
) -> None:
    first = enqueue_one(store, key="order:3")
    connection = connect()
    [again] = store.enqueue_in(connection, [new_job(key="order:3")], T0 + 1)
    connection.commit()
    assert (again.id, again.created) == (first, False)
    assert len(store.find_jobs(JobFilter())) == 1


def test_enqueue_in_refuses_a_connection_of_another_kind(store: Store) -> None:
    with pytest.raises(ConfigurationError, match=r"connection= got a builtins\.object"):
        store.enqueue_in(object(), [new_job()], T0)


def test_enqueue_in_refuses_autocommit_outside_a_transaction(
    store: Store, connect: Callable[..., Any]
) -> None:
    with pytest.raises(ConfigurationError, match="autocommit"):
        store.enqueue_in(connect(autocommit=True), [new_job()], T0)
    assert store.find_jobs(JobFilter()) == []


# -- copying between stores: export and import ------------------------------------------------


def test_export_pages_jobs_in_id_order_with_their_events(store: Store) -> None:
    ids = sorted(enqueue_one(store) for _ in range(7))
    claim = store.claim(WORKER, None, 1, LEASE, T0)[0]
    store.ack(WORKER, [Ack(claim.id, claim.lease_token, Succeeded("1"))], T0 + 1)
    pages = list(store.export(3))
    assert [len(page.jobs) for page in pages] == [3, 3, 1]
    assert [job.id for page in pages for job in page.jobs] == ids
    for page in pages:
        assert {e.job_id for e in page.events} == {job.id for job in page.jobs}
    events = [e for page in pages for e in page.events if e.job_id == claim.id]
    assert [e.kind for e in events] == ["enqueued", "claimed", "succeeded"]
    assert [len(page.task_stats) for page in pages] == [0, 0, 1]


def test_import_page_writes_new_jobs_once_with_their_events(store: Store) -> None:
    from dataclasses import replace

    enqueue_one(store, key="kept")
    [page] = list(store.export(10))
    assert store.import_page(page) == 0, "a job with the same id is here already"
    copied = replace(page.jobs[0], id=new_job_id(), key=None)
    clash = replace(page.jobs[0], id=new_job_id(), key="kept")
    event = replace(page.events[0], job_id=copied.id)
    new_page = replace(page, jobs=(copied, clash), events=(event,))
    assert store.import_page(new_page) == 1, "a job whose key is held is skipped"
    assert store.import_page(new_page) == 0
    assert kinds(store, copied.id) == ["enqueued"]
    assert store.get_job(clash.id) is None
