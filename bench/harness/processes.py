"""Processes the harness starts: drivers and workers. Each one is stopped by its PID (and the
PIDs of its descendants), whatever happens."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class BenchError(Exception):
    """A measurement could not be taken."""


def descendants(pid: int) -> list[int]:
    """PIDs of a process's children, grandchildren... (from /proc)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(OSError):
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                stack += children
    return found


def in_group(pgid: int) -> list[int]:
    """PIDs still in a process group we created (members whose parent died are reparented,
    and so are no longer anyone's descendants)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
    return pids


def pss_kib(pids: list[int]) -> tuple[int, int]:
    """Summed (PSS, RSS) in KiB of these processes, from /proc/PID/smaps_rollup."""
    pss = rss = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
    return pss, rss


class Owned:
    """A process started in its own session, so that it and everything it starts can be
    found and stopped by ID."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, **kwargs: Any) -> None:
        self.argv = argv
        self.log = log
        with log.open("ab") as output:
            self.popen = subprocess.Popen(
                argv,
                env=env,
                cwd=REPO,
                stderr=output,
                stdout=kwargs.pop("stdout", output),
                start_new_session=True,
                **kwargs,
            )
        self.pid = self.popen.pid

    def tree(self) -> list[int]:
        return [self.pid, *descendants(self.pid)] if self.popen.poll() is None else []

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, wait up to `grace`, then SIGKILL whatever of its tree is left."""
        known = set(self.tree())
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(grace)
        leftovers = (known | set(in_group(self.pid))) - {os.getpid()}
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)


class Driver(Owned):
    """The system's driver (bench/driver.py) in its own interpreter, spoken to in JSON lines."""

    def __init__(self, python: str, peer_id: str, env: dict[str, str], log: Path) -> None:
        super().__init__(
            [python, "-m", "bench.driver", peer_id],
            env,
            log,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._read("driver start")

    def call(self, cmd: str, **args: Any) -> Any:
        assert self.popen.stdin is not None
        self.popen.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.popen.stdin.flush()
        return self._read(cmd)

    def _read(self, what: str) -> Any:
        assert self.popen.stdout is not None
        line = self.popen.stdout.readline()
        if not line:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise BenchError(f"{what}: the driver exited; its log ends with:\n{tail}")
        reply = json.loads(line)
        if not reply["ok"]:
            raise BenchError(f"{what} failed in the driver:\n{reply['error']}")
        return reply["result"]

    def stop(self, grace: float = 10.0) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(OSError, BenchError, ValueError):
                self.call("quit")
        super().stop(grace)


def wait_for(condition: Any, timeout: float, every: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())
