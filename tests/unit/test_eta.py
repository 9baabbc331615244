"""The start-time estimate of a waiting job: arithmetic on durations and runners."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cargohold.eta import Confidence, Line, Running, estimate, start_after

RUNS = [1.0] * 20


def line(**fields: object) -> Line:
    values: dict[str, object] = {
        "task": "nap",
        "position": 1,
        "ahead": {},
        "slots": 1,
        "running": (),
        "durations": {"nap": RUNS},
    }
    values.update(fields)
    return Line(**values)  # type: ignore[arg-type]


def test_one_runner_adds_the_jobs_ahead_to_what_the_running_job_has_left() -> None:
    # Given: one runner 0.25 s into a 1 s job, and 9 jobs of 1 s ahead.
    found = estimate(line(position=10, ahead={"nap": 9}, running=[Running("nap", 0.25)]))
    # Then: 0.75 s + 9 x 1 s.
    assert found.seconds == pytest.approx(9.75)
    assert found.confidence == Confidence.HIGH


def test_several_runners_share_the_line() -> None:
    # 4 runners, 2 of them 1 s into a 2 s job, and 6 jobs of 2 s ahead: the free runners
    # take two each (at 0 s and 2 s), the busy ones one each at 1 s, ending at 3 s: the
    # job starts at 3 s.
    found = estimate(
        line(
            position=7,
            ahead={"pdf": 6},
            slots=4,
            running=[Running("pdf", 1.0), Running("pdf", 1.0)],
            durations={"pdf": [2.0] * 20, "nap": RUNS},
        )
    )
    assert found.seconds == pytest.approx(3.0)


def test_the_first_in_line_with_a_free_runner_starts_now() -> None:
    found = estimate(line(slots=2, running=[Running("nap", 0.5)]))
    assert (found.seconds, found.confidence) == (0.0, Confidence.HIGH)


def test_each_task_ahead_counts_with_its_own_median() -> None:
    found = estimate(
        line(
            position=4,
            ahead={"mail": 2, "pdf": 1},
            durations={"mail": [0.5, 0.4, 0.6] * 4, "pdf": [10.0, 30.0, 20.0] * 4, "nap": RUNS},
        )
    )
    assert found.seconds == pytest.approx(0.5 + 0.5 + 20.0)


def test_a_job_that_overran_its_median_is_about_to_end() -> None:
    found = estimate(line(position=2, ahead={"nap": 1}, running=[Running("nap", 5.0)]))
    assert found.seconds == pytest.approx(1.0)


def test_an_unknown_task_ahead_borrows_the_jobs_own_median_with_low_confidence() -> None:
    found = estimate(line(position=3, ahead={"nap": 1, "new": 1}))
    assert found.seconds == pytest.approx(2.0)
    assert found.confidence == Confidence.LOW


def test_no_duration_known_at_all_gives_no_estimate() -> None:
    found = estimate(line(position=3, ahead={"new": 2}, durations={}))
    assert (found.seconds, found.confidence) == (None, Confidence.NONE)
    assert "new" in found.basis


def test_no_runner_or_a_paused_queue_gives_no_estimate() -> None:
    assert estimate(line(slots=0)).confidence == Confidence.NONE
    assert "no worker" in estimate(line(slots=0)).basis
    paused = estimate(line(paused=True))
    assert (paused.seconds, paused.confidence, paused.basis) == (
        None,
        Confidence.NONE,
        "its queue is paused",
    )


@pytest.mark.parametrize(
    ("runs", "confidence"),
    [(1, Confidence.LOW), (2, Confidence.LOW), (3, Confidence.MEDIUM), (10, Confidence.HIGH)],
)
def test_confidence_grows_with_the_runs_seen(runs: int, confidence: Confidence) -> None:
    found = estimate(line(position=2, ahead={"nap": 1}, durations={"nap": [1.0] * runs}))
    assert found.confidence == confidence


def test_an_extrapolated_line_is_at_most_medium() -> None:
    # 5,000 jobs ahead, of which only the first 1,000 were read.
    found = estimate(line(position=5001, ahead={"nap": 1000}))
    assert found.seconds == pytest.approx(5000.0)
    assert found.confidence == Confidence.MEDIUM


def test_a_scheduled_job_starts_no_sooner_than_its_time() -> None:
    found = estimate(line(ready_in=30.0))
    assert (found.seconds, found.confidence) == (30.0, Confidence.LOW)


@given(
    free_at=st.lists(st.floats(0, 100), min_size=1, max_size=8),
    jobs=st.integers(0, 50),
    each=st.floats(0.01, 10),
)
def test_start_after_matches_the_total_work_bounds(
    free_at: list[float], jobs: int, each: float
) -> None:
    """Work-conserving runners: the start is no earlier than the work shared evenly, and no
    later than that plus one job and the longest initial wait."""
    start = start_after(free_at, jobs, each)
    runners = len(free_at)
    even = (sum(free_at) + jobs * each) / runners
    assert start >= min(free_at) - 1e-9
    assert start <= even + each + max(free_at) + 1e-9
    if runners == 1:
        assert start == pytest.approx(free_at[0] + jobs * each)


def test_start_after_past_the_simulated_jobs_shares_the_rest_evenly() -> None:
    assert start_after([0.0, 0.0], 30_000, 1.0) == pytest.approx(15_000.0)
