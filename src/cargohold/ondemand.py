"""`JobsOnDemand`: the new jobs of a batch of calls, each made when first read."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from cargohold.records import NewJob


class JobsOnDemand(Sequence[NewJob]):
    """The jobs of `calls`, made by `make` in order as they are first read, and kept.

    A store that writes a large batch in chunks sends the first chunk while the next calls
    are still being made into jobs, so the server's work overlaps this process's. Reading
    the jobs again (a retried transaction) gives the same jobs, with the same ids."""

    def __init__(self, calls: Sequence[Any], make: Callable[[Any], NewJob]) -> None:
        self._calls = calls
        self._make = make
        self._made: list[NewJob] = []

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[NewJob]:
        made, calls, make = self._made, self._calls, self._make
        for index in range(len(calls)):
            if index == len(made):
                made.append(make(calls[index]))
            yield made[index]

    @overload
    def __getitem__(self, index: int) -> NewJob: ...

    @overload
    def __getitem__(self, index: slice) -> list[NewJob]: ...

    def __getitem__(self, index: int | slice) -> NewJob | list[NewJob]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            self._make_until(stop if step > 0 else start + 1)
            return self._made[index]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"job index {index} out of range for {len(self)} calls")
        self._make_until(index + 1)
        return self._made[index]

    def _make_until(self, end: int) -> None:
        made = self._made
        while len(made) < end:
            made.append(self._make(self._calls[len(made)]))
