"""Heavy jobs in a real 512 MiB container: the worker admits them by memory, so the
container never runs out, and what does not fit is explained."""

from __future__ import annotations

import json
from pathlib import Path

from cargohold import JobState
from cargohold.task import Call
from tests.memory.container import MIB, Container
from tests.memory.harness import Burst, makespan, mib, most_at_once, succeeded


def test_a_burst_of_300_mib_jobs_never_ooms_the_container(
    container: Container, tmp_path: Path
) -> None:
    burst = Burst(container, tmp_path, web_mib=60)
    burst.start_worker()
    hog = burst.app.tasks["hog"]
    records = burst.wait(hog.enqueue_many([(300, 0.5)] * 20), timeout=240)
    # Only one fits at a time, so each ran alone: its own duration is its standalone time.
    standalone = sum(record.duration or 0 for record in records)

    figures = {
        "succeeded": succeeded(records),
        "container_oom_kills": container.oom_kills,
        "container_peak": mib(container.peak),
        "peak_fraction": round(container.peak / container.limit, 3),
        "makespan_s": round(makespan(records), 2),
        "sum_standalone_s": round(standalone, 2),
        "most_at_once": most_at_once(records),
    }
    # Timings are printed, not asserted (they depend on the machine's load): the makespan
    # is close to the sum of standalone times when the worker admits each job as soon as
    # the one before it has given its memory back.
    print("burst:", json.dumps(figures))
    assert figures["succeeded"] == 20
    assert container.oom_kills == 0
    assert container.peak <= 0.95 * container.limit
    assert figures["most_at_once"] == 1  # two never fit together


def test_learned_reservation_is_close_to_the_true_peak(
    container: Container, tmp_path: Path
) -> None:
    burst = Burst(container, tmp_path, web_mib=0)
    burst.start_worker()
    hog = burst.app.tasks["hog"]
    for _ in range(3):
        burst.wait([hog.enqueue(200, 0.1)], timeout=60)
    [stats] = [s for s in burst.app.store.task_stats() if s.task == "hog"]
    assert stats.learned_memory is not None
    ratio = stats.learned_memory / (200 * MIB)
    print("learned:", mib(stats.learned_memory), "ratio", round(ratio, 3))
    assert 1.0 <= ratio <= 1.35


def test_a_job_too_big_for_the_container_fails_for_good_and_says_why(
    container: Container, tmp_path: Path
) -> None:
    burst = Burst(container, tmp_path, web_mib=0)
    burst.start_worker()
    hog = burst.app.tasks["hog"]
    too_big = hog.enqueue(600, 0.1)
    fine = hog.enqueue(50, 0.1)
    [failed, ok] = sorted(burst.wait([too_big, fine], timeout=120), key=lambda r: r.id)
    assert failed.id == too_big.id
    assert failed.state == JobState.FAILED and failed.memory_kills <= 3
    # Killed at the budget (out of memory), or failed before a rerun because its grown
    # reservation no longer fits the budget: either way the error names the budget.
    assert "memory_killed" in burst.kinds(failed.id)
    assert "budget" in (failed.error or "")
    assert "out of memory" in (failed.error or "") or "needs" in (failed.error or "")
    assert ok.state == JobState.SUCCEEDED
    # The kernel killed the job inside its own runner group, never at the container level.
    assert container.oom_kills == 0


def test_a_declared_job_that_can_never_fit_fails_at_once(
    container: Container, tmp_path: Path
) -> None:
    burst = Burst(container, tmp_path, web_mib=0)
    burst.start_worker()
    [record] = burst.wait([burst.app.tasks["huge"].enqueue()], timeout=60)
    assert record.state == JobState.FAILED and record.attempt == 1
    assert record.started_at is not None and record.peak_memory is None  # nothing ran
    error = record.error or ""
    assert "needs 708.0 MiB" in error and "memory budget for jobs is" in error
    assert "limit 512.0 MiB" in error and "lower memory= on task 'huge'" in error


def mixed_burst(burst: Burst) -> list[Call[object]]:
    tasks = burst.app.tasks
    return (
        [tasks["big"].call(1.0)] * 6
        + [tasks["medium"].call(0.5)] * 8
        + [tasks["small"].call(0.3)] * 10
        + [tasks["liar"].call(0.5)] * 2
    )


def test_a_mixed_burst_with_liars(container: Container, tmp_path: Path) -> None:
    # Serial first: the same burst, one job at a time, in the same container.
    serial_path = tmp_path / "serial"
    serial_path.mkdir()
    serial = Burst(container, serial_path, web_mib=60)
    serial.start_worker("--concurrency", "1")
    serial_records = serial.wait(serial.app.enqueue_many(mixed_burst(serial)), timeout=300)
    container.stop_all()

    burst = Burst(container, tmp_path, web_mib=60)
    burst.start_worker()
    jobs = burst.app.enqueue_many(mixed_burst(burst))
    records = burst.wait(jobs, timeout=300)
    liars = [r for r in records if r.task == "liar"]
    honest = [r for r in records if r.task != "liar"]
    figures = {
        "succeeded": succeeded(records),
        "container_oom_kills": container.oom_kills,
        "container_peak": mib(container.peak),
        "liar_claims": [burst.kinds(r.id).count("claimed") for r in liars],
        "makespan_s": round(makespan(records), 2),
        "serial_makespan_s": round(makespan(serial_records), 2),
        "speedup": round(makespan(serial_records) / makespan(records), 2),
        "most_at_once": most_at_once(records),
    }
    print("mixed:", json.dumps(figures))
    assert figures["succeeded"] == len(jobs) == succeeded(serial_records)
    assert container.oom_kills == 0
    for record in honest:  # no innocent job was killed or stopped
        assert burst.kinds(record.id) == ["enqueued", "claimed", "succeeded"], record.task
    assert all(claims <= 3 for claims in figures["liar_claims"])
    assert all("memory_killed" in burst.kinds(r.id) for r in liars)
    # Smaller jobs were packed beside each other (the speedup this buys is printed above,
    # not asserted: it depends on the machine's load).
    assert figures["most_at_once"] >= 2


def test_a_warm_resource_is_evicted_to_make_room_and_reloads(
    container: Container, tmp_path: Path
) -> None:
    burst = Burst(container, tmp_path, web_mib=60)
    burst.start_worker()
    predict, big = burst.app.tasks["predict"], burst.app.tasks["big"]
    [first] = burst.wait([predict.enqueue()], timeout=60)
    [second] = burst.wait([predict.enqueue()], timeout=60)
    assert first.result_value["warm"] is False and second.result_value["warm"] is True
    assert first.result_value["pid"] == second.result_value["pid"]  # kept warm across jobs

    [heavy] = burst.wait([big.enqueue(0.5)], timeout=60)
    [third] = burst.wait([predict.enqueue()], timeout=60)

    assert heavy.state == JobState.SUCCEEDED
    assert burst.kinds(heavy.id) == ["enqueued", "claimed", "succeeded"]
    assert third.result_value["warm"] is False  # it was evicted, and loaded again
    assert third.result_value["pid"] != first.result_value["pid"]
    assert container.oom_kills == 0
    assert container.peak <= 0.95 * container.limit
