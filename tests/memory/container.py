"""A small "container" for memory tests: a real cgroup v1 memory group with a hard limit,
created under this process's own group and removed afterwards, with every process in it
killed by PID."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Sequence

from cargohold.memory.cgroups import Cgroup, can_create_children, own_cgroup

MIB = 1024 * 1024


def unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "memory tests need root to create cgroups"
    group = own_cgroup()
    if group is None:
        return "no memory cgroup is visible from this process"
    if group.version != 1:
        return "memory tests create a cgroup v1 container; this host uses cgroup v2"
    if not can_create_children(group):
        return f"cannot create cgroups under {group.path}"
    return None


class Container:
    def __init__(self, limit: int) -> None:
        parent = own_cgroup()
        assert parent is not None
        self.group: Cgroup = parent.child(f"cargohold-test-{secrets.token_hex(4)}")
        self.group.set_limit(limit)
        self.limit = limit
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, args: Sequence[str], **kwargs: object) -> subprocess.Popen[bytes]:
        """Start a process inside the container (it joins before it runs anything)."""
        procs = str(self.group.path / "cgroup.procs")

        def join() -> None:
            with open(procs, "w") as handle:
                handle.write(str(os.getpid()))

        process = subprocess.Popen(args, preexec_fn=join, **kwargs)  # type: ignore[call-overload]  # noqa: PLW1509
        self.processes.append(process)
        return process

    @property
    def oom_kills(self) -> int:
        return self.group.oom_kills()

    @property
    def peak(self) -> int:
        peak = self.group.peak()
        assert peak is not None
        return peak

    def pids(self) -> set[int]:
        found: set[int] = set()
        for procs in self.group.path.rglob("cgroup.procs"):
            with contextlib.suppress(OSError):
                found.update(int(pid) for pid in procs.read_text().split())
        return found

    def stop_all(self) -> None:
        """Stop every process started in the container so far (SIGTERM, then SIGKILL)."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def destroy(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
        for _ in range(50):
            try:
                self.group.remove()
                return
            except OSError:
                time.sleep(0.1)
        self.group.remove()
