"""A round: one store transaction of the supervisor's hot path, which persists outcomes, claims
work, or both; and a lane, the committer thread that runs one round at a time.

A store whose transactions run side by side on separate connections (PostgreSQL) gets two
lanes, one for outcomes and one for claims, so that a group of outcomes commits while the next
batch of jobs is claimed. A store with one writer at a time (SQLite) gets one lane, whose rounds
persist outcomes and claim in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cargohold.memory.admission import MemoryOffer
from cargohold.records import Ack, Claim
from cargohold.worker.committer import Committer

RoundResult = tuple[list[bool], list[Claim]]
"""Which outcomes were accepted (False: the lease was lost), and the jobs claimed."""


@dataclass(frozen=True, slots=True)
class Round:
    """The outcomes a transaction persists (still the worker's until it returns) and the
    claim it makes."""

    acks: list[Ack]
    offer: MemoryOffer | None
    wanted: int
    """Jobs the worker wanted: fewer than that coming back makes it look at the first in
    line, even when no memory was free to claim any."""
    wakeups: int = 0
    """Wake-ups the worker had heard when the round was made (`Waiter.wakeups`): one heard
    while its claim was in flight may be for a job that claim did not see."""

    @property
    def claiming(self) -> bool:
        return self.wanted > 0 and self.offer is not None and self.offer.free > 0


class Lane:
    """A committer thread and the round in flight on it, if any."""

    def __init__(self) -> None:
        self._committer: Committer[RoundResult] = Committer()
        self.round: Round | None = None

    @property
    def busy(self) -> bool:
        return self.round is not None

    @property
    def done(self) -> bool:
        """The round in flight has returned or failed: `take` will not wait."""
        return self.round is not None and self._committer.done

    def fileno(self) -> int:
        """Readable once the round in flight is done."""
        return self._committer.fileno()

    def submit(self, store_round: Round, work: Callable[[], RoundResult]) -> None:
        assert self.round is None, "one round at a time"
        self.round = store_round
        self._committer.submit(work)

    def take(self) -> RoundResult:
        """The result of the round in flight, waiting for it if need be; raises what it
        raised. Afterwards nothing is in flight."""
        assert self.round is not None
        self.round = None
        return self._committer.take()

    def close(self) -> None:
        self._committer.close()
        self.round = None
