"""How much memory the worker may give to jobs: the container's limit (cgroup v1 or v2, the
tightest on the way up), else physical memory, or the configured override; minus headroom;
minus what everything else in the container uses."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cargohold.memory.cgroups import Cgroup, own_cgroup, tightest_limit
from cargohold.memory.usage import available_memory, physical_memory, resident
from cargohold.units import format_size

MIB = 1024 * 1024
MIN_HEADROOM = 24 * MIB
HEADROOM_FRACTION = 0.05


@dataclass(frozen=True, slots=True)
class MemoryLimit:
    """The limit the worker must keep the host under, and where it came from."""

    limit: int
    source: str
    container: Cgroup | None
    """The cgroup whose usage the limit applies to, or None."""
    scope: str
    """What `used()` measures: "cgroup", "host" or "process"."""

    def used(self) -> int:
        """Memory in use now within the limit's scope (page cache left out)."""
        if self.scope == "cgroup" and self.container is not None:
            return self.container.anonymous_usage()
        if self.scope == "host":
            return physical_memory() - available_memory()
        return resident(os.getpid())


def detect_limit(override: int | None = None) -> MemoryLimit:
    group = own_cgroup()
    tight = tightest_limit(group) if group is not None else None
    physical = physical_memory()
    if override is not None:
        if tight is not None and tight[0] < override:
            limit, container = tight
            return MemoryLimit(
                limit,
                f"cgroup v{container.version} limit at {container.path} "
                f"(lower than the configured {format_size(override)})",
                container,
                "cgroup",
            )
        return MemoryLimit(override, "configured (CARGOHOLD_MEMORY / --memory)", None, "process")
    if tight is not None and tight[0] < physical:
        limit, container = tight
        return MemoryLimit(
            limit, f"cgroup v{container.version} limit at {container.path}", container, "cgroup"
        )
    return MemoryLimit(physical, "physical memory (no container limit found)", None, "host")


def default_headroom(limit: int) -> int:
    return max(MIN_HEADROOM, int(limit * HEADROOM_FRACTION))
