"""Linux control groups (v1 and v2): the container's memory limit, and per-runner groups with a
hard limit so that the kernel, when a job outgrows its reservation, kills only that job."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_UNLIMITED = 1 << 62
"""cgroup v1 reports "no limit" as a page-aligned value near 2**63."""


@dataclass(frozen=True, slots=True)
class Cgroup:
    """One memory cgroup directory, v1 or v2."""

    path: Path
    version: int

    def file(self, name: str) -> str:
        """The path of one of the group's files. A string: these files are read several
        times per job, and joining Paths cost more than reading some of them."""
        return f"{self.path}/{name}"

    # -- reading -----------------------------------------------------------------------------

    def limit(self) -> int | None:
        """This group's own hard limit in bytes, or None when unlimited."""
        name = "memory.limit_in_bytes" if self.version == 1 else "memory.max"
        text = _read(self.file(name))
        if text is None or text == "max":
            return None
        value = int(text)
        return None if value >= V1_UNLIMITED else value

    def anonymous_usage(self) -> int:
        """Memory that cannot be reclaimed without killing someone: anonymous pages and shmem,
        for the group and every group below it. Page cache is left out: the kernel drops it
        before it kills."""
        # Read on every job start and end: only the two lines needed are parsed.
        text = _read(self.file("memory.stat")) or ""
        keys = ("total_rss", "total_shmem") if self.version == 1 else ("anon", "shmem")
        return sum(_stat_value(text, key) for key in keys)

    def usage(self) -> int:
        name = "memory.usage_in_bytes" if self.version == 1 else "memory.current"
        return int(_read(self.file(name)) or 0)

    def peak(self) -> int | None:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        text = _read(self.file(name))
        return None if text is None else int(text)

    def oom_kills(self) -> int:
        """How many processes the kernel killed for memory in this group (and below)."""
        if self.version == 1:
            text = _read(self.file("memory.oom_control")) or ""
        else:
            text = _read(self.file("memory.events")) or ""
        for line in text.splitlines():
            key, _, number = line.partition(" ")
            if key == "oom_kill":
                return int(number)
        return 0

    # -- writing -----------------------------------------------------------------------------

    def set_limit(self, limit: int, current: int | None = None) -> None:
        """Set the hard limit; `current`, the limit in force if known, saves reading it."""
        if self.version == 1:
            # With swap accounting, the memory+swap limit must stay >= the memory limit, and
            # must be raised first; set both so that a job cannot swap past its reservation.
            memsw = self.path / "memory.memsw.limit_in_bytes"
            has_memsw = _swap_accounting(memsw)
            if current is None and has_memsw:
                current = self.limit() or V1_UNLIMITED
            if has_memsw and current is not None and limit > current:
                _write(memsw, limit)
                _write(self.file("memory.limit_in_bytes"), limit)
            else:
                _write(self.file("memory.limit_in_bytes"), limit)
                if has_memsw:
                    _write(memsw, limit)
        else:
            _write(self.file("memory.max"), limit)
            swap = self.path / "memory.swap.max"
            if _swap_accounting(swap):
                _write(swap, 0)

    def reset_peak(self) -> None:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        with contextlib.suppress(OSError):
            (self.path / name).write_text("0")

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def child(self, name: str) -> Cgroup:
        path = self.path / name
        path.mkdir(exist_ok=True)
        return Cgroup(path, self.version)

    def remove(self) -> None:
        """Remove the group (its processes must have exited); children first."""
        for child in sorted(self.path.glob("*/"), key=lambda p: len(p.parts), reverse=True):
            if child.is_dir():
                Cgroup(child, self.version).remove()
        with contextlib.suppress(FileNotFoundError):
            self.path.rmdir()

    def ancestors(self) -> list[Cgroup]:
        """This group and every group above it, up to the hierarchy's root."""
        root = CGROUP_ROOT / "memory" if self.version == 1 else CGROUP_ROOT
        groups, path = [], self.path
        while True:
            groups.append(Cgroup(path, self.version))
            if path == root or root not in path.parents:
                return groups
            path = path.parent


def own_cgroup(pid: int | str = "self") -> Cgroup | None:
    """The memory cgroup this process belongs to, or None if there is none to read."""
    text = _read(Path(f"/proc/{pid}/cgroup"))
    if text is None:
        return None
    v2_path = None
    for line in text.splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            group = CGROUP_ROOT / "memory" / path.lstrip("/")
            if group.is_dir():
                return Cgroup(group, 1)
        if controllers == "":
            v2_path = path
    if v2_path is not None:
        group = CGROUP_ROOT / v2_path.lstrip("/")
        if (group / "memory.max").exists() or (group / "memory.stat").exists():
            return Cgroup(group, 2)
        if (CGROUP_ROOT / "memory.stat").exists():  # a namespaced view: we see our own root
            return Cgroup(CGROUP_ROOT, 2)
    return None


def tightest_limit(group: Cgroup) -> tuple[int, Cgroup] | None:
    """The smallest limit on the way up from `group`, and the group that sets it."""
    best: tuple[int, Cgroup] | None = None
    for ancestor in group.ancestors():
        limit = ancestor.limit()
        if limit is not None and (best is None or limit < best[0]):
            best = (limit, ancestor)
    return best


def can_create_children(group: Cgroup) -> bool:
    """Whether this process may create memory-limited groups below `group`."""
    if not os.access(group.path, os.W_OK):
        return False
    if group.version == 2:
        controllers = _read(group.path / "cgroup.subtree_control") or ""
        return "memory" in controllers.split()
    return True


def _read(path: str | Path) -> str | None:
    # os-level calls: these files are read several times per job on the worker's hot path.
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(descriptor, 65536).decode().strip()
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _write(path: str | Path, value: int) -> None:
    descriptor = os.open(path, os.O_WRONLY)
    try:
        os.write(descriptor, str(value).encode())
    finally:
        os.close(descriptor)


def _stat_value(text: str, key: str) -> int:
    """The number on the line of memory.stat that starts with `key`, or 0."""
    prefix = key + " "
    if text.startswith(prefix):
        start = len(prefix)
    else:
        at = text.find("\n" + prefix)
        if at < 0:
            return 0
        start = at + 1 + len(prefix)
    end = text.find("\n", start)
    try:
        return int(text[start : end if end >= 0 else None])
    except ValueError:
        return 0


_swap_files: dict[str, bool] = {}


def _swap_accounting(path: Path) -> bool:
    """Whether groups have this swap limit file: swap accounting is on or off for the whole
    system, so it is looked up once."""
    known = _swap_files.get(path.name)
    if known is None:
        known = _swap_files[path.name] = path.exists()
    return known
