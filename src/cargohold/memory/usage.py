"""Reading how much memory processes use, from /proc."""

from __future__ import annotations

import os
import time
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
        descriptor = os.open("/proc/meminfo", os.O_RDONLY)
        try:
            text = os.read(descriptor, 16384)
        finally:
            os.close(descriptor)
    except OSError:
        return physical_memory()
    at = text.find(b"MemAvailable:")
    if at < 0:
        return physical_memory()
    return int(text[at + len(b"MemAvailable:") : text.index(b"k", at)]) * 1024


def _own_status() -> tuple[int, int] | None:
    """This process's resident size and resident high-water mark (VmRSS, VmHWM), in bytes."""
    try:
        descriptor = os.open("/proc/self/status", os.O_RDONLY)
    except OSError:
        return None
    try:
        text = os.read(descriptor, 16384)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    values = []
    for field in (b"VmRSS:", b"VmHWM:"):
        at = text.find(field)
        if at < 0:
            return None
        values.append(int(text[at + len(field) : text.index(b"k", at)]) * 1024)
    return values[0], values[1]


PEAK_RESET_SLACK = 1 << 20
"""The high-water mark is reset before a job only when it stands this far above the
resident size: resetting walks the page tables, which costs more than a no-op job."""


READ_EVERY = 0.005
"""Between jobs sent ahead, a runner reads its memory at most this often (seconds): reading
/proc/self/status cost more than a no-op job."""


class PeakMeter:
    """Measures how far one process's resident memory rises during each of its jobs.

    Between jobs that follow each other at once, a reading may be skipped: that job reports
    no peak of its own, and the next reading covers it (the high-water mark is reset only
    after a reading), so the peak it gives is the highest of every job since the last one.
    A runner going idle sets the next job's start point at once (`arm`), so that the job
    starts without reading anything."""

    def __init__(self) -> None:
        self._start: int | None = None
        self._last: tuple[int, int] | None = None
        """The status `peak` read, which a job starting right after it starts from."""
        self._read_at = 0.0
        self._armed = False
        """The next job's start point is set: by `arm`, or by a `peak` that read nothing
        (the stretch since the last reading goes on)."""

    def arm(self) -> None:
        """Set the next job's start point now, from the last reading: nothing runs until
        that job starts."""
        self.start(right_after=True)
        self._armed = True

    def start(self, *, right_after: bool = False) -> None:
        """`right_after`: nothing ran since the last `peak`, whose reading is reused."""
        if self._armed:
            self._armed = False
            return
        status = self._last if right_after and self._last is not None else self._read()
        self._last = None
        if status is None:
            self._start = None
            return
        rss, hwm = status
        if hwm - rss > PEAK_RESET_SLACK:  # a forked runner inherits its parent's mark, too
            try:
                with open("/proc/self/clear_refs", "w") as clear_refs:
                    clear_refs.write("5")
            except OSError:
                self._start = None
                return
        self._start = rss

    def peak(self, *, more_to_come: bool = False) -> int | None:
        """The rise since `start`, at its highest (within PEAK_RESET_SLACK above it).
        `more_to_come`: another job starts right after this one; if memory was read less
        than READ_EVERY ago, None, and that job's reading covers this one."""
        self._armed = more_to_come and time.monotonic() - self._read_at < READ_EVERY
        if self._armed:
            return None
        status = self._last = self._read()
        if status is None or self._start is None:
            return None
        return max(0, status[1] - self._start)

    def _read(self) -> tuple[int, int] | None:
        self._read_at = time.monotonic()
        return _own_status()


def volunteer_for_oom_kill() -> None:
    """Ask the kernel, if it must kill for memory, to kill this process first."""
    try:
        with open("/proc/self/oom_score_adj", "w") as adjust:
            adjust.write("1000")
    except OSError:
        pass
