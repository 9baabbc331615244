"""`Queue`: a named queue's options (maximum depth) and its pause switch, kept in the store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cargohold.errors import ConfigurationError
from cargohold.limits import check_name
from cargohold.units import parse_duration

if TYPE_CHECKING:
    from cargohold.store.protocol import Store

DEFAULT_RETRY_AFTER = 30.0
"""Seconds a producer refused by a full queue is told to wait (HTTP Retry-After)."""


class Queue:
    """A queue of this app: `app.queue("photos", max_depth=1000)`.

    max_depth: enqueueing into the queue while it holds this many waiting (queued or
    scheduled) jobs raises QueueFullError and writes nothing; retry_after: what the
    refusal tells the producer to wait ("30s").
    """

    def __init__(
        self,
        store: Callable[[], Store],
        name: str,
        *,
        max_depth: int | None = None,
        retry_after: str | float = DEFAULT_RETRY_AFTER,
    ) -> None:
        if max_depth is not None and (
            not isinstance(max_depth, int) or isinstance(max_depth, bool) or max_depth < 1
        ):
            raise ConfigurationError(
                f"queue {name!r}: max_depth must be a whole number >= 1, got {max_depth!r}"
            )
        self._store = store
        self.name = check_name("queue", name)
        self.max_depth = max_depth
        self.retry_after = parse_duration(retry_after)

    def __repr__(self) -> str:
        return f"<Queue {self.name} max_depth={self.max_depth}>"

    def pause(self) -> bool:
        """Workers stop claiming from this queue (running jobs finish); survives restarts.
        Returns False if it was already paused."""
        store = self._store()
        return store.set_queue_paused(self.name, True, store.now())

    def resume(self) -> bool:
        """Workers claim from this queue again. Returns False if it was not paused."""
        store = self._store()
        return store.set_queue_paused(self.name, False, store.now())

    @property
    def paused(self) -> bool:
        return any(c.name == self.name and c.paused for c in self._store().queue_controls())
