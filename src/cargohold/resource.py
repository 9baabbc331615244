"""Resources: expensive things (a model, a big lookup table) loaded once per runner on first
use and kept warm across jobs; the worker counts their memory and evicts the least recently
used when a job needs the room."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Resource(Generic[T]):
    """Declared with `@app.resource("unet", memory="150MB")` on its loader function; a task
    that uses it lists it (`@app.task(resources=["unet"])`) and calls `.get()`."""

    def __init__(self, name: str, loader: Callable[[], T], memory: int | None) -> None:
        self.name = name
        self.loader = loader
        self.memory = memory
        self._value: T | None = None
        self._loaded = False

    def __repr__(self) -> str:
        return f"<Resource {self.name} {'loaded' if self._loaded else 'not loaded'}>"

    @property
    def loaded(self) -> bool:
        """Whether this process holds the resource."""
        return self._loaded

    def get(self) -> T:
        """The resource, loaded in this process on first use."""
        if not self._loaded:
            self._value = self.loader()
            self._loaded = True
        return self._value  # type: ignore[return-value]
