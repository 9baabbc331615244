"""The store contract, flow control: concurrency limits, rate limits, queue pauses, periodic
firings, back-pressure, wait deadlines and retention, checked the same way for every store."""

from __future__ import annotations

import threading

import pytest

from cargohold.errors import QueueFullError
from cargohold.outcome import Failed, Snoozed, Succeeded
from cargohold.records import Ack, JobFilter, RateRequest, SlotRequest
from cargohold.states import JobState
from cargohold.store import Store
from tests.store.test_contract import LEASE, OTHER, T0, WORKER, enqueue_one, kinds, new_job

API = {"api": 2}


def slot(token: str, name: str = "api", key: str = "", concurrency: int = 2) -> SlotRequest:
    return SlotRequest(token, name, key, concurrency, holder="test", lease=LEASE)


# -- concurrency limits -----------------------------------------------------------------------


def test_a_limit_gives_out_at_most_its_concurrency(store: Store) -> None:
    assert store.acquire_slot(slot("a"), T0)
    assert store.acquire_slot(slot("b"), T0)
    assert not store.acquire_slot(slot("c"), T0)
    assert store.acquire_slot(slot("c", key="tenant-2"), T0), "each key has its own slots"
    holders = store.limit_holders("api", "", T0)
    assert [h.token for h in holders] == ["a", "b"] and holders[0].capacity == 2
    assert store.release_slots(["a"]) == 1
    assert store.acquire_slot(slot("c"), T0 + 1)


def test_a_slot_frees_itself_when_its_lease_runs_out(store: Store) -> None:
    assert store.acquire_slot(slot("a", concurrency=1), T0)
    assert store.extend_slots(["a"], LEASE, T0 + 20) == {"a"}
    assert not store.acquire_slot(slot("b", concurrency=1), T0 + LEASE + 10)
    assert store.acquire_slot(slot("b", concurrency=1), T0 + 20 + LEASE + 1)
    assert store.extend_slots(["a"], LEASE, T0 + 20 + LEASE + 2) == set(), "never revived"


def test_concurrent_acquires_never_exceed_the_limit(store: Store) -> None:
    granted: list[str] = []
    lock = threading.Lock()

    def contender(n: int) -> None:
        if store.acquire_slot(slot(f"t{n}", concurrency=3), T0):
            with lock:
                granted.append(f"t{n}")

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 3
    assert len(store.limit_holders("api", "", T0)) == 3


def test_claim_skips_jobs_whose_limit_is_full_and_frees_the_slot_on_ack(store: Store) -> None:
    first = enqueue_one(store, T0, limits=(("api", ""),))
    second = enqueue_one(store, T0 + 1, limits=(("api", ""),))
    third = enqueue_one(store, T0 + 2, limits=(("api", ""),))
    free = enqueue_one(store, T0 + 3)
    claims = store.claim(WORKER, None, 5, LEASE, T0 + 4, limits=API)
    assert {c.id for c in claims} == {first, second, free}
    assert {c.id: c.limits for c in claims}[first] == (("api", ""),)
    holders = store.limit_holders("api", "", T0 + 4)
    assert {h.job_id for h in holders} == {first, second}
    assert store.claim(OTHER, None, 5, LEASE, T0 + 4, limits=API) == []
    token = {c.id: c.lease_token for c in claims}[first]
    store.ack(WORKER, [Ack(first, token, Succeeded("1"))], T0 + 5)
    assert [c.id for c in store.claim(OTHER, None, 5, LEASE, T0 + 5, limits=API)] == [third]


def test_a_worker_that_does_not_know_a_limit_leaves_its_jobs(store: Store) -> None:
    enqueue_one(store, T0, limits=(("api", ""),))
    assert store.claim(WORKER, None, 5, LEASE, T0) == []
    assert store.claim(WORKER, None, 5, LEASE, T0, limits={"other": 5}) == []


def test_claim_with_memory_respects_limits_too(store: Store) -> None:
    from cargohold.memory.admission import MemoryOffer

    offer = MemoryOffer(free=1 << 40, unknown_need=1)
    for n in range(3):
        enqueue_one(store, T0 + n, limits=(("api", "t1"),), memory=1)
    claims = store.claim(WORKER, None, 5, LEASE, T0 + 5, memory=offer, limits={"api": 2})
    assert len(claims) == 2
    assert store.head_need(None, T0 + 5, limits={"api": 2}) is None


def test_claim_with_memory_takes_jobs_under_limits_in_their_place_in_line(store: Store) -> None:
    from cargohold.memory.admission import MemoryOffer

    offer = MemoryOffer(free=1 << 40, unknown_need=1)
    api = (("api", "t1"),)
    first = enqueue_one(store, T0, memory=1)
    limited = enqueue_one(store, T0 + 1, limits=api, memory=1)
    after = enqueue_one(store, T0 + 2, memory=1)
    enqueue_one(store, T0 + 3, limits=api, memory=1)  # its limit is full once `limited` runs
    last = enqueue_one(store, T0 + 4, memory=1)
    claims = store.claim(WORKER, None, 5, LEASE, T0 + 5, memory=offer, limits={"api": 1})
    assert [c.id for c in claims] == [first, limited, after, last]
    assert [h.job_id for h in store.limit_holders("api", "t1", T0 + 5)] == [limited]


def test_heartbeat_extends_the_slots_of_running_jobs_and_rescue_frees_lost_ones(
    store: Store,
) -> None:
    enqueue_one(store, T0, limits=(("api", ""),))
    [claim] = store.claim(WORKER, None, 1, LEASE, T0, limits={"api": 1})
    store.heartbeat(WORKER, [claim.lease_token], LEASE, T0 + 20)
    [held] = store.limit_holders("api", "", T0 + LEASE + 10)
    assert held.expires_at == T0 + 20 + LEASE and held.job_id == claim.id
    store.rescue("rescuer", T0 + 20 + LEASE + 1)  # the worker died: lease and slot run out
    assert store.limit_holders("api", "", T0 + 20 + LEASE + 1) == []
    again = store.claim(OTHER, None, 1, LEASE, T0 + 60, limits={"api": 1})
    assert [c.id for c in again] == [claim.id]


# -- rate limits ------------------------------------------------------------------------------


def test_a_rate_grants_at_most_its_limit_per_period_and_says_how_long_to_wait(
    store: Store,
) -> None:
    login = RateRequest("login", "1.2.3.4", limit=3, period=60.0)
    decisions = [store.acquire_rate([login], T0 + n) for n in range(4)]
    assert [d.granted for d in decisions] == [True, True, True, False]
    assert decisions[3].wait == pytest.approx(57.0, abs=0.01)
    assert store.acquire_rate([RateRequest("login", "5.6.7.8", 3, 60.0)], T0 + 3).granted
    assert not store.acquire_rate([login], T0 + 59.9).granted
    late = store.acquire_rate([login], T0 + 60.01)
    assert late.granted and late.at == T0 + 60.01


def test_a_rate_grant_time_never_goes_back(store: Store) -> None:
    rate = RateRequest("r", "", limit=10, period=1.0)
    assert store.acquire_rate([rate], T0 + 5).at == T0 + 5
    assert store.acquire_rate([rate], T0 + 4).at == T0 + 5, "a slow clock cannot go back"


def test_several_rates_are_granted_together_or_not_at_all(store: Store) -> None:
    narrow = RateRequest("narrow", "", limit=1, period=10.0)
    wide = RateRequest("wide", "", limit=5, period=10.0)
    assert store.acquire_rate([narrow, wide], T0).granted
    refused = store.acquire_rate([narrow, wide], T0 + 1)
    assert not refused.granted and refused.wait == pytest.approx(9.0, abs=0.01)
    for n in range(4):  # the refusal took nothing from the wide rate
        assert store.acquire_rate([wide], T0 + 2 + n).granted
    assert not store.acquire_rate([wide], T0 + 7).granted


def test_concurrent_rate_acquires_never_exceed_the_limit(store: Store) -> None:
    rate = RateRequest("burst", "", limit=5, period=3600.0)
    granted: list[float] = []
    lock = threading.Lock()

    def contender() -> None:
        for _ in range(5):
            decision = store.acquire_rate([rate], T0)
            if decision.granted:
                with lock:
                    granted.append(decision.at)

    threads = [threading.Thread(target=contender) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 5


# -- queues -----------------------------------------------------------------------------------


def test_a_paused_queue_is_not_claimed_from_until_resumed(store: Store) -> None:
    photo = enqueue_one(store, T0, queue="photos")
    mail = enqueue_one(store, T0, queue="mail")
    assert store.set_queue_paused("photos", True, T0)
    assert not store.set_queue_paused("photos", True, T0 + 1), "already paused"
    assert [c.id for c in store.claim(WORKER, None, 5, LEASE, T0 + 1)] == [mail]
    assert store.claim(WORKER, ["photos"], 5, LEASE, T0 + 1) == []
    assert store.head_need(["photos"], T0 + 1) is None
    [control] = store.queue_controls()
    assert (control.name, control.paused, control.changed_at) == ("photos", True, T0)
    assert store.set_queue_paused("photos", False, T0 + 2)
    assert [c.id for c in store.claim(WORKER, ["photos"], 5, LEASE, T0 + 2)] == [photo]
    assert store.queue_controls()[0].paused is False


def test_claim_order_within_a_queue_is_priority_first(store: Store) -> None:
    from cargohold.memory.admission import MemoryOffer

    order = [(0, "low"), (5, "high"), (1, "mid"), (5, "high2"), (-3, "last")]
    ids = {
        name: enqueue_one(store, T0 + n, priority=p, queue="q") for n, (p, name) in enumerate(order)
    }
    expected = [ids[name] for name in ("high", "high2", "mid", "low", "last")]
    offer = MemoryOffer(free=1 << 40, unknown_need=1)
    claimed = [store.claim(WORKER, ["q"], 1, LEASE, T0 + 9, memory=offer)[0].id for _ in order]
    assert claimed == expected


# -- back-pressure ----------------------------------------------------------------------------


def test_enqueue_into_a_full_queue_is_refused_and_writes_nothing(store: Store) -> None:
    store.enqueue([new_job(queue="photos", max_depth=2) for _ in range(2)], T0)
    with pytest.raises(QueueFullError) as refused:
        store.enqueue([new_job(queue="photos", key="k1"), new_job(queue="photos", max_depth=2)], T0)
    assert refused.value.queue == "photos" and refused.value.max_depth == 2
    assert "max_depth" in str(refused.value)
    assert len(store.find_jobs(JobFilter(queues=("photos",)))) == 2, "nothing of the batch"
    assert store.find_jobs(JobFilter(key="k1")) == []
    assert store.enqueue([new_job(queue="other", max_depth=2)], T0)[0].created


def test_a_job_with_a_max_depth_counts_the_jobs_written_before_it_not_after(
    store: Store,
) -> None:
    jobs = [new_job(queue="q"), new_job(queue="q", max_depth=2), new_job(queue="q")]
    assert all(result.created for result in store.enqueue(jobs, T0))
    assert len(store.find_jobs(JobFilter(queues=("q",)))) == 3


def test_a_known_key_is_returned_even_from_a_full_queue(store: Store) -> None:
    first = store.enqueue([new_job(queue="q", key="evt", max_depth=1)], T0)[0]
    again = store.enqueue([new_job(queue="q", key="evt", max_depth=1)], T0 + 1)[0]
    assert again.id == first.id and not again.created


def test_running_jobs_do_not_count_towards_the_depth(store: Store) -> None:
    store.enqueue([new_job(queue="q", max_depth=1)], T0)
    store.claim(WORKER, None, 1, LEASE, T0)
    assert store.enqueue([new_job(queue="q", max_depth=1)], T0)[0].created


def test_a_job_waiting_past_its_wait_timeout_is_cancelled_with_the_reason(store: Store) -> None:
    stale = enqueue_one(store, T0, wait_timeout=600.0)
    patient = enqueue_one(store, T0)
    assert store.rescue("rescuer", T0 + 599).expired == ()
    assert store.claim(WORKER, ["none"], 1, LEASE, T0 + 600) == []
    assert [c.id for c in store.claim(WORKER, None, 5, LEASE, T0 + 600)] == [patient]
    report = store.rescue("rescuer", T0 + 601)
    assert report.expired == (stale,)
    job = store.get_job(stale)
    assert job is not None and job.state == JobState.CANCELLED
    assert "wait_timeout of 600 seconds" in (job.error or "")
    last = store.job_events(stale)[-1]
    assert (last.kind, last.state) == ("expired", JobState.CANCELLED)
    assert "wait_timeout" in (last.reason or "")


# -- periodic jobs ----------------------------------------------------------------------------


def test_each_periodic_firing_is_enqueued_once(store: Store) -> None:
    def firing(slot: float) -> object:
        job = new_job(task="tick", key=f"periodic:tick:{slot}")
        return store.fire_periodic("tick", slot, job, slot)

    assert firing(T0) is None, "a schedule seen for the first time starts from now"
    fired = firing(T0 + 60)
    assert fired is not None and fired.created  # type: ignore[attr-defined]
    assert firing(T0 + 60) is None, "the same firing again"
    assert firing(T0 + 30) is None, "an older firing"
    assert len(store.find_jobs(JobFilter(tasks=("tick",)))) == 1


def test_concurrent_firings_of_one_slot_enqueue_one_job(store: Store) -> None:
    store.fire_periodic("race", T0, new_job(task="race"), T0)
    results: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        job = new_job(task="race", key=f"periodic:race:{T0 + 1}")
        result = store.fire_periodic("race", T0 + 1, job, T0 + 1)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert len(store.find_jobs(JobFilter(tasks=("race",)))) == 1


# -- retention --------------------------------------------------------------------------------


def test_prune_keeps_a_job_holding_a_key_for_the_key_retention(store: Store) -> None:
    keyed = enqueue_one(store, key="stripe:evt_1")
    plain = enqueue_one(store)
    claims = {c.id: c for c in store.claim(WORKER, None, 2, LEASE, T0)}
    store.ack(WORKER, [Ack(i, c.lease_token, Succeeded("1")) for i, c in claims.items()], T0)
    assert store.prune(JobState.SUCCEEDED, T0 + 10, keys_before=T0 - 10) == 1
    assert store.get_job(plain) is None and store.get_job(keyed) is not None
    again = store.enqueue([new_job(key="stripe:evt_1")], T0 + 20)[0]
    assert again.id == keyed and not again.created
    assert store.prune(JobState.SUCCEEDED, T0 + 10, keys_before=T0 + 10) == 1


def test_prune_takes_at_most_its_limit_and_never_waiting_or_running_jobs(store: Store) -> None:
    done = [enqueue_one(store, T0 + n) for n in range(3)]
    claims = store.claim(WORKER, None, 3, LEASE, T0 + 5)
    store.ack(WORKER, [Ack(c.id, c.lease_token, Failed("x")) for c in claims], T0 + 5)
    waiting = enqueue_one(store, T0 + 6)
    enqueue_one(store, T0 + 6)
    running = store.claim(WORKER, None, 1, LEASE, T0 + 6)[0].id
    assert store.prune(JobState.FAILED, T0 + 100, limit=2) == 2
    assert store.prune(JobState.FAILED, T0 + 100, limit=2) == 1
    assert all(store.get_job(job_id) is None for job_id in done)
    assert store.get_job(waiting) is not None and store.get_job(running) is not None


def test_a_snoozed_job_keeps_its_attempts_and_releases_its_slot(store: Store) -> None:
    job_id = enqueue_one(store, limits=(("api", ""),), rates=(("login", ""),))
    [claim] = store.claim(WORKER, None, 1, LEASE, T0, limits={"api": 1})
    assert claim.rates == (("login", ""),)
    store.ack(WORKER, [Ack(job_id, claim.lease_token, Snoozed(T0 + 5, "rate limited"))], T0)
    job = store.get_job(job_id)
    assert job is not None and job.attempt == 0 and job.limits == (("api", ""),)
    assert store.limit_holders("api", "", T0) == []
    assert kinds(store, job_id)[-1] == "snoozed"
