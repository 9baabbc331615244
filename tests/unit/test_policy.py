import random

import pytest

from cargohold.errors import ConfigurationError
from cargohold.outcome import Cancelled, Failed, Retrying, Snoozed, Succeeded
from cargohold.policy import Backoff, Failure, decide, decide_crash, decide_failure
from cargohold.records import Claim
from cargohold.worker.messages import RunReport

NOW = 1000.0


def claim(attempt: int = 1, max_attempts: int = 3, crashes: int = 0) -> Claim:
    return Claim("j", "t", "default", "{}", attempt, max_attempts, crashes, 0, "tok", None)


def test_backoff_grows_exponentially_and_is_capped() -> None:
    backoff = Backoff(base=1, factor=2, maximum=10, jitter=0)
    rng = random.Random(0)
    assert [backoff.delay(n, rng) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_backoff_jitter_stays_within_its_band() -> None:
    backoff = Backoff(base=4, factor=2, maximum=100, jitter=0.25)
    rng = random.Random(1)
    delays = [backoff.delay(2, rng) for _ in range(500)]
    assert min(delays) >= 6 and max(delays) <= 10
    assert max(delays) - min(delays) > 2  # jitter really spreads them


def test_backoff_survives_huge_attempt_numbers() -> None:
    assert Backoff(maximum=60, jitter=0).delay(10_000, random.Random()) == 60


@pytest.mark.parametrize("bad", [dict(factor=0.5), dict(jitter=2), dict(base=-1)])
def test_backoff_refuses_bad_settings(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        Backoff(**bad)


def test_failure_with_attempts_left_retries_after_backoff() -> None:
    outcome = decide_failure(
        attempt=1,
        max_attempts=3,
        failure=Failure("boom", "tb"),
        now=NOW,
        backoff=Backoff(base=5, jitter=0),
        rng=random.Random(),
    )
    assert outcome == Retrying(NOW + 5, "boom", "tb")


def test_failure_on_the_last_attempt_fails_and_says_so() -> None:
    outcome = decide_failure(
        attempt=3,
        max_attempts=3,
        failure=Failure("boom"),
        now=NOW,
        backoff=Backoff(),
        rng=random.Random(),
    )
    assert isinstance(outcome, Failed) and "gave up after 3 attempts" in outcome.error


def test_permanent_failure_skips_retries() -> None:
    outcome = decide_failure(
        attempt=1,
        max_attempts=5,
        failure=Failure("bad", permanent=True),
        now=NOW,
        backoff=Backoff(),
        rng=random.Random(),
    )
    assert outcome == Failed("bad")


def test_requested_retry_delay_overrides_backoff() -> None:
    outcome = decide(
        RunReport("j", "retry", error="later", delay=42),
        claim(),
        now=NOW,
        backoff=Backoff(base=1, jitter=0),
        rng=random.Random(),
    )
    assert outcome == Retrying(NOW + 42, "later", None)


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (RunReport("j", "succeeded", result="[1]"), Succeeded("[1]")),
        (RunReport("j", "snooze", error="wait", delay=10), Snoozed(NOW + 10, "wait")),
        (RunReport("j", "cancel", error="no"), Cancelled("no")),
        (RunReport("j", "permanent", error="unknown task"), Failed("unknown task")),
    ],
)
def test_reports_map_to_outcomes(report: RunReport, expected: object) -> None:
    assert decide(report, claim(), now=NOW, backoff=Backoff(), rng=random.Random()) == expected


def test_crash_is_retried_and_flagged() -> None:
    outcome = decide_crash(
        claim(attempt=1),
        "runner killed",
        max_crashes=3,
        now=NOW,
        backoff=Backoff(base=1, jitter=0),
        rng=random.Random(),
    )
    assert outcome == Retrying(NOW + 1, "runner killed", crashed=True)


def test_repeated_crashes_make_a_poison_job() -> None:
    outcome = decide_crash(
        claim(attempt=3, max_attempts=10, crashes=2),
        "runner killed",
        max_crashes=3,
        now=NOW,
        backoff=Backoff(),
        rng=random.Random(),
    )
    assert isinstance(outcome, Failed) and "poison" in outcome.error and outcome.crashed
