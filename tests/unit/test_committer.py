"""The committer runs one piece of work at a time on its thread and hands back its result."""

from __future__ import annotations

import select
import threading

import pytest

from cargohold.worker.committer import Committer


def readable(committer: Committer[int]) -> bool:
    return bool(select.select([committer.fileno()], [], [], 5.0)[0])


def test_the_result_is_handed_back_once_the_work_is_done() -> None:
    committer: Committer[int] = Committer()
    release = threading.Event()
    try:
        committer.submit(lambda: 7 if release.wait(5.0) else -1)
        assert committer.in_flight and not committer.done
        release.set()
        assert readable(committer)
        assert committer.take() == 7
        assert not committer.in_flight
        assert not select.select([committer.fileno()], [], [], 0)[0]  # no stale wake-up
    finally:
        committer.close()


def test_what_the_work_raised_is_raised_by_take() -> None:
    committer: Committer[int] = Committer()

    def fail() -> int:
        raise ConnectionError("the store went away")

    try:
        committer.submit(fail)
        with pytest.raises(ConnectionError):
            committer.take()
        assert not committer.in_flight
        committer.submit(lambda: 1)  # and it takes the next piece of work
        assert committer.take() == 1
    finally:
        committer.close()
