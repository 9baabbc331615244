"""A runner's own peak meter, on this very process's memory (/proc/self/status)."""

from __future__ import annotations

import time

import pytest

from cargohold.memory import usage
from cargohold.memory.usage import READ_EVERY, PeakMeter, _own_status

MIB = 1024 * 1024

pytestmark = pytest.mark.skipif(_own_status() is None, reason="needs /proc/self/status")


def touch(mib: int) -> None:
    """Really use `mib` MiB for a moment, then give it back."""
    block = bytearray(mib * MIB)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    del block


def test_a_job_that_uses_memory_reports_its_rise() -> None:
    meter = PeakMeter()
    meter.start()
    touch(40)
    peak = meter.peak()
    assert peak is not None and peak >= 30 * MIB


def test_jobs_that_follow_at_once_share_one_reading_that_covers_them_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(usage, "READ_EVERY", 60.0)  # however long the jobs take here
    meter = PeakMeter()
    meter.start()  # a reading
    # A job that ends right after a reading, with another to follow, reports no peak...
    touch(40)
    assert meter.peak(more_to_come=True) is None
    meter.start(right_after=True)
    # ...and the next reading covers it: the high-water mark was not reset in between.
    peak = meter.peak(more_to_come=False)
    assert peak is not None and peak >= 30 * MIB


def test_a_stretch_of_jobs_is_read_again_after_a_while() -> None:
    meter = PeakMeter()
    meter.start()
    meter.peak(more_to_come=True)
    meter.start(right_after=True)
    time.sleep(READ_EVERY * 2)
    assert meter.peak(more_to_come=True) is not None


def test_a_runner_going_idle_sets_its_next_job_start_without_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    meter = PeakMeter()
    meter.start()
    meter.peak()
    reads: list[object] = []
    monkeypatch.setattr(usage, "_own_status", lambda: reads.append(1) or _own_status())
    meter.arm()
    meter.start()
    assert reads == []
    touch(40)
    peak = meter.peak()
    assert reads == [1] and peak is not None and peak >= 30 * MIB
