"""Reading how much memory processes use, from /proc."""

from __future__ import annotations

import os
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def resident(pid: int) -> int:
    """Resident set size of one process in bytes (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE
    except (FileNotFoundError, ProcessLookupError, IndexError, OSError):
        return 0


def proportional(pid: int) -> int:
    """Proportional set size (shared pages divided among their users) in bytes."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError, OSError):
        return resident(pid)
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return resident(pid)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren...)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except (FileNotFoundError, OSError):
            continue
        for thread in threads:
            try:
                children = Path(f"/proc/{parent}/task/{thread}/children").read_text().split()
            except (FileNotFoundError, OSError):
                continue
            for child in children:
                found.append(int(child))
                pending.append(int(child))
    return found


def tree_resident(pid: int) -> int:
    """Resident memory of a process and everything it started."""
    return resident(pid) + sum(resident(child) for child in descendants(pid))


def tree_proportional(pid: int) -> int:
    return proportional(pid) + sum(proportional(child) for child in descendants(pid))


def physical_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def available_memory() -> int:
    """MemAvailable from /proc/meminfo: what can be used without swapping."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return physical_memory()


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def reset_peak_resident() -> int | None:
    """Restart this process's resident high-water mark (VmHWM); return its resident size now.
    A forked runner would otherwise inherit its parent's peak (as ru_maxrss does)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return None
    return _status_kib("VmRSS:")


def peak_resident() -> int | None:
    """This process's resident high-water mark since the last reset."""
    return _status_kib("VmHWM:")


def volunteer_for_oom_kill() -> None:
    """Ask the kernel, if it must kill for memory, to kill this process first."""
    try:
        with open("/proc/self/oom_score_adj", "w") as adjust:
            adjust.write("1000")
    except OSError:
        pass
