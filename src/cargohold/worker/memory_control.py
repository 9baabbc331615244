"""The supervisor's memory side: a cgroup (or a watchdog) per runner, sampling, the numbers
admission works from, and the container-level guard."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field

from cargohold.memory.admission import MemoryOffer, RunnerLoad, free_memory
from cargohold.memory.budget import MemoryLimit, default_headroom, detect_limit
from cargohold.memory.cgroups import Cgroup, can_create_children, own_cgroup
from cargohold.memory.usage import resident, tree_resident
from cargohold.units import format_size

log = logging.getLogger("cargohold.worker")

OTHERS_WINDOW = 10.0
"""Seconds over which the usage of everything that is not a runner is taken at its highest."""
GUARD_COOLDOWN = 1.0
USAGE_MAX_AGE = 0.02
LIMIT_SLACK = 1 << 20
"""A runner's limit is left as it is when the next job's would differ by less than this."""


@dataclass(frozen=True, slots=True)
class IdleReading:
    """A runner's numbers read when it last became idle. They hold until its next job
    starts: an idle runner runs nothing that moves them, and reading them again on an idle
    worker's way to its next job took several cold reads of cgroup files."""

    usage: int
    """What it uses (`MemoryControl.usage`)."""
    group_usage: int
    """Its group's full usage, page cache included (what its hard limit counts)."""
    oom_kills: int
    host_oom_kills: int


@dataclass(slots=True)
class RunnerMemory:
    """What the supervisor knows about one runner's memory."""

    pid: int
    group: Cgroup | None
    fresh_usage: int = 0
    """Its usage when it had just started: the yardstick for recycling."""
    job_start_usage: int = 0
    reservation: int | None = None
    """The running job's reservation (memory above `job_start_usage`), or None when idle."""
    peak: int = 0
    """The running job's highest sampled usage above `job_start_usage`."""
    oom_kills_at_start: int = 0
    host_oom_kills_at_start: int = 0
    killed_for_memory: str | None = None
    last_usage: int = 0
    read_at: float = -1.0
    limit: int | None = None
    """The hard limit last set on its group."""
    idle: IdleReading | None = None
    """Read when it last became idle; None while it runs a job."""


@dataclass(slots=True)
class GuardAction:
    pause: bool = False
    evict_idle: bool = False
    stop_newest_job: bool = False
    reason: str = ""


@dataclass
class MemoryControl:
    """Owns the memory numbers of one supervisor and its runners."""

    override: int | None = None
    headroom: int | None = None
    limit: MemoryLimit = field(init=False)
    enforcement: str = field(init=False)
    _parent: Cgroup | None = field(init=False, default=None)
    _others: deque[tuple[float, int]] = field(init=False, default_factory=deque)
    _last_guard_stop: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.limit = detect_limit(self.override)
        if self.headroom is None:
            self.headroom = default_headroom(self.limit.limit)
        self._parent = self._create_parent_group()
        self.enforcement = "cgroup" if self._parent is not None else "watchdog"

    @property
    def budget(self) -> int:
        """The limit less headroom: what the supervisor, its runners and their neighbours
        in the same container may use together."""
        assert self.headroom is not None
        return self.limit.limit - self.headroom

    def _create_parent_group(self) -> Cgroup | None:
        own = own_cgroup()
        if own is None or not can_create_children(own):
            return None
        try:
            return own.child(f"cargohold-{os.getpid()}")
        except OSError as error:
            log.info(
                "cannot create per-runner cgroups under %s (%s); using the watchdog",
                own.path,
                error,
            )
            return None

    def close(self) -> None:
        if self._parent is not None:
            self._parent.remove()

    # -- runners -----------------------------------------------------------------------------

    def attach(self, pid: int) -> RunnerMemory:
        """Put a new runner in its own group; tell the kernel to kill it before anyone else."""
        group = None
        if self._parent is not None:
            try:
                group = self._parent.child(f"runner-{pid}")
                group.add(pid)
            except OSError as error:
                log.warning("runner %d: no cgroup (%s); the watchdog guards it", pid, error)
                group = None
        memory = RunnerMemory(pid, group)
        memory.fresh_usage = self.usage(memory, fresh=True)
        return memory

    def went_idle(self, memory: RunnerMemory) -> IdleReading:
        """Read what the runner's next job starts from, now that it runs none."""
        usage = self.usage(memory, fresh=True)
        group = memory.group
        memory.idle = reading = IdleReading(
            usage=usage,
            group_usage=0 if group is None else group.usage(),
            oom_kills=0 if group is None else group.oom_kills(),
            host_oom_kills=self.host_oom_kills(),
        )
        return reading

    def detach(self, memory: RunnerMemory) -> None:
        if memory.group is not None:
            with contextlib.suppress(OSError):
                memory.group.remove()

    def usage(self, memory: RunnerMemory, *, fresh: bool = False) -> int:
        """What the runner uses; read at most once per sampling interval unless `fresh`
        (reading and parsing cgroup files on every dispatch was a third of the hot path)."""
        if not fresh and memory.idle is not None:
            return memory.idle.usage
        now = time.monotonic()
        if not fresh and now - memory.read_at < USAGE_MAX_AGE:
            return memory.last_usage
        if memory.group is not None:
            usage = memory.group.anonymous_usage()
        else:
            usage = tree_resident(memory.pid)
        memory.last_usage, memory.read_at = usage, now
        return usage

    def start_job(self, memory: RunnerMemory, reservation: int) -> bool:
        """Arm the runner's limit for a job; False if the limit could not be set."""
        idle = memory.idle or self.went_idle(memory)
        memory.idle = None
        memory.job_start_usage = idle.usage
        memory.reservation = reservation
        memory.peak = 0
        memory.killed_for_memory = None
        memory.host_oom_kills_at_start = idle.host_oom_kills
        if memory.group is not None:
            memory.oom_kills_at_start = idle.oom_kills
            try:
                # The group's limit also counts page cache and kernel memory, which the
                # reservation (anonymous memory) leaves out: start from its full usage.
                limit = idle.group_usage + reservation
                if memory.limit is None or abs(limit - memory.limit) > LIMIT_SLACK:
                    memory.group.set_limit(limit, current=memory.limit)
                    memory.limit = limit
            except OSError as error:
                log.warning("runner %d: cannot set its memory limit (%s)", memory.pid, error)
                return False
        return True

    def end_job(self, memory: RunnerMemory) -> None:
        memory.reservation = None
        self.went_idle(memory)

    def sample(self, memory: RunnerMemory, *, fresh: bool = True) -> int:
        """Update the running job's peak; return its usage above the job's start.
        `fresh=False`: a reading younger than the sampling interval will do."""
        above = max(0, self.usage(memory, fresh=fresh) - memory.job_start_usage)
        memory.peak = max(memory.peak, above)
        return above

    def over_reservation(self, memory: RunnerMemory) -> bool:
        """The watchdog's verdict (where no cgroup does the job): kill it now?"""
        if memory.reservation is None or memory.group is not None:
            return False
        above = self.sample(memory)
        if above > memory.reservation:
            memory.killed_for_memory = (
                f"used {format_size(above)}, more than its {format_size(memory.reservation)} "
                "reservation; killed by the memory watchdog"
            )
            return True
        return False

    def killed_for_memory(self, memory: RunnerMemory) -> str | None:
        """Why a runner that died was a memory kill, or None if it was not."""
        if memory.killed_for_memory is not None:
            return memory.killed_for_memory
        if memory.group is not None and memory.group.oom_kills() > memory.oom_kills_at_start:
            reserved = format_size(memory.reservation or 0)
            return f"used more than its {reserved} reservation; killed by the kernel"
        return None

    def host_oom_kills(self) -> int:
        container = self.limit.container
        return container.oom_kills() if container is not None else 0

    # -- admission ---------------------------------------------------------------------------

    def observe_others(self, runners: list[RunnerMemory], now: float | None = None) -> None:
        """Sample what everything but the runners uses (the supervisor, a web server...)."""
        now = time.monotonic() if now is None else now
        if self.limit.scope == "process":
            others = resident(os.getpid())
        else:
            # Runners are read before and after the container: a job that frees or takes
            # memory in between must not be mistaken for someone else's usage.
            before = sum(self.usage(r, fresh=True) for r in runners)
            used = self.limit.used()
            after = sum(self.usage(r, fresh=True) for r in runners)
            others = max(0, used - max(before, after))
        self._others.append((now, others))
        while self._others and self._others[0][0] < now - OTHERS_WINDOW:
            self._others.popleft()

    @property
    def others(self) -> int:
        return max((usage for _, usage in self._others), default=0)

    @property
    def capacity(self) -> int:
        """What all runners together may use."""
        return max(0, self.budget - self.others)

    @property
    def best_capacity(self) -> int:
        """What all runners together could use when their neighbours use the least seen
        lately: a job that does not fit in this never fits."""
        lowest = min((usage for _, usage in self._others), default=0)
        return max(0, self.budget - lowest)

    def loads(self, runners: list[RunnerMemory]) -> list[RunnerLoad]:
        loads = []
        for runner in runners:
            usage = self.usage(runner)
            if runner.reservation is None:
                loads.append(RunnerLoad(usage, usage))
            else:
                loads.append(RunnerLoad(usage, runner.job_start_usage + runner.reservation))
        return loads

    def offer(self, runners: list[RunnerMemory], *, busy: bool) -> MemoryOffer:
        free = max(0, free_memory(self.capacity, self.loads(runners)))
        return MemoryOffer(free=free, unknown_need=free + 1 if busy else free)

    def guard(self) -> GuardAction:
        """The container-level guard: if real usage nears the limit anyway, act."""
        assert self.headroom is not None
        if self.limit.scope == "process":
            return GuardAction()
        used = self.limit.used()
        if used <= self.limit.limit - self.headroom // 2:
            return GuardAction()
        reason = (
            f"memory in use {format_size(used)} is close to the "
            f"{format_size(self.limit.limit)} limit"
        )
        action = GuardAction(pause=True, evict_idle=True, reason=reason)
        now = time.monotonic()
        if (
            used > self.limit.limit - self.headroom // 4
            and now - self._last_guard_stop > GUARD_COOLDOWN
        ):
            self._last_guard_stop = now
            action.stop_newest_job = True
        return action

    def describe(self) -> dict[str, str]:
        """What `cargohold doctor` prints."""
        assert self.headroom is not None
        return {
            "limit": f"{format_size(self.limit.limit)} ({self.limit.source})",
            "headroom": format_size(self.headroom),
            "used by others now": f"{format_size(self.others)} (supervisor, web server, ...)",
            "budget for jobs": format_size(self.capacity),
            "enforcement": (
                "a cgroup per runner with a hard limit (the kernel kills only the job)"
                if self.enforcement == "cgroup"
                else "a watchdog sampling each runner's memory every 20 ms"
            ),
        }
