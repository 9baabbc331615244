"""The supervisor's runner processes: start, send, kill, recycle, describe how they died."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Protocol

from cargohold.errors import WorkerError
from cargohold.records import Claim
from cargohold.worker.memory_control import MemoryControl, RunnerMemory
from cargohold.worker.messages import STOP, RunJobFields
from cargohold.worker.runner import READY, RUNNER_ENV, runner_main

if TYPE_CHECKING:
    from cargohold.app import App


READY_TIMEOUT = 60.0
FOLLOWING_DEPTH = 96
"""Quick jobs a runner may be sent ahead of the one it runs."""


@dataclass(slots=True)
class Running:
    """The attempt a runner is busy with."""

    claim: Claim
    started_at: float
    deadline: float | None
    reservation: int
    began: float
    """When it was sent to the runner, on this process's monotonic clock."""


class RunnerProcess(Protocol):
    """What the supervisor needs of a runner's process, forked or spawned."""

    @property
    def pid(self) -> int | None: ...

    @property
    def exitcode(self) -> int | None: ...

    @property
    def sentinel(self) -> int: ...

    def join(self, timeout: float | None = None) -> None: ...


class SpawnedProcess:
    """A runner started with a fresh interpreter that imports the app (no fork)."""

    def __init__(self, app_reference: str, descriptor: int) -> None:
        self._popen = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cargohold.worker.runner import spawned_runner_main; spawned_runner_main()",
                app_reference,
                str(descriptor),
                str(os.getpid()),
            ],
            pass_fds=[descriptor],
            stdin=subprocess.DEVNULL,
            env={**os.environ, RUNNER_ENV: "1"},
        )
        self._pidfd = os.pidfd_open(self._popen.pid)

    @property
    def pid(self) -> int:
        return self._popen.pid

    @property
    def exitcode(self) -> int | None:
        return self._popen.poll()

    @property
    def sentinel(self) -> int:
        return self._pidfd

    def join(self, timeout: float | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout)
        if self._popen.returncode is not None and self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1


class Runner:
    """One runner child process and the pipe to it."""

    def __init__(
        self, app: App, memory_control: MemoryControl, app_reference: str | None = None
    ) -> None:
        """Forked from this process by default; started fresh, importing the app by
        `app_reference`, when this process has other threads (a web server's)."""
        if app_reference is None:
            context: Any = multiprocessing.get_context("fork")
            parent_end, child_end = context.Pipe(duplex=True)
            self.process: RunnerProcess = context.Process(
                target=runner_main,
                args=(app, child_end, os.getpid()),
                name="cargohold-runner",
                daemon=True,
            )
            self.process.start()
            child_end.close()
        else:
            ours, theirs = socket.socketpair()
            self.process = SpawnedProcess(app_reference, theirs.fileno())
            theirs.close()
            parent_end = Connection(ours.detach())
        self.connection: Connection = parent_end
        self._poller = select.poll()
        self._poller.register(self.connection.fileno(), select.POLLIN)
        self.memory: RunnerMemory = memory_control.attach(self.pid)
        self._wait_until_ready()
        # Its yardstick for growth and its first job's limit start from here: a spawned
        # runner has only now finished importing the app.
        self.memory.fresh_usage = memory_control.went_idle(self.memory).usage
        self.current: Running | None = None
        self.following: deque[Running] = deque()
        """Quick jobs sent while `current` runs, which the runner starts one after the other
        as soon as `current` ends, without waiting for the supervisor to hear of it."""
        self.worn = False
        """Due to be recycled once idle: it is sent no following job."""
        self.jobs_done = 0
        self.resources: tuple[str, ...] = ()
        self.last_used = time.monotonic()

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def _wait_until_ready(self) -> None:
        try:
            if self.connection.poll(READY_TIMEOUT) and self.connection.recv() == READY:
                return
        except (EOFError, OSError):
            pass
        self.kill()
        raise WorkerError(
            f"runner process {self.pid} did not start within {READY_TIMEOUT:g}s "
            f"({self.describe_exit()}); its error, if any, is on the worker's stderr"
        )

    def readable(self) -> bool:
        """Whether a message (or the end of the pipe) waits to be read. `Connection.poll`
        builds a selector on every call, which cost more than a quick job."""
        return bool(self._poller.poll(0))

    @property
    def idle(self) -> bool:
        return self.current is None and self.alive

    @property
    def alive(self) -> bool:
        return self.process.exitcode is None

    def can_follow(self, claim: Claim) -> bool:
        """Whether `claim` may be sent to run right after this runner's current job: a job
        of the same task (so the same resources and memory), neither with a timeout (its
        clock would start before the supervisor knows it started)."""
        current = self.current
        return (
            current is not None
            and len(self.following) < FOLLOWING_DEPTH
            and not self.worn
            and claim.task == current.claim.task
            and claim.timeout is None
            and current.claim.timeout is None
            and (claim.need or 0) <= current.reservation
        )

    def send(self, claim: Claim, now: float, reservation: int) -> None:
        deadline = None if claim.timeout is None else now + claim.timeout
        self.current = Running(claim, now, deadline, reservation, time.monotonic())
        self._send([_run_job(claim)])

    def send_following(self, claims: list[Claim], now: float) -> None:
        """Send jobs (each allowed by `can_follow`) in one message."""
        assert self.current is not None
        reservation = self.current.reservation
        for claim in claims:
            self.following.append(Running(claim, now, None, reservation, time.monotonic()))
        self._send([_run_job(claim) for claim in claims])

    def promote_following(self, now: float) -> None:
        """The current job ended: the first following one, if any, is running now."""
        following = self.following.popleft() if self.following else None
        if following is not None:
            following.started_at, following.began = now, time.monotonic()
        self.current = following

    def _send(self, message: list[RunJobFields]) -> None:
        # Plain pickle: lighter than the pickler `Connection.send` builds for each message.
        self.connection.send_bytes(pickle.dumps(message))

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.process.join()
        self.connection.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask an idle runner to exit; kill it if it does not."""
        with contextlib.suppress(OSError):
            self.connection.send(STOP)
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.kill()
        else:
            self.connection.close()

    def describe_exit(self) -> str:
        code = self.process.exitcode
        if code is None:
            return f"runner {self.pid} is still running"
        if code < 0:
            name = signal.Signals(-code).name
            return f"runner process {self.pid} was killed by {name}"
        return f"runner process {self.pid} exited with status {code}"


def _run_job(claim: Claim) -> RunJobFields:
    """The `RunJob` of `claim`, as it is sent (see `messages`)."""
    return (
        claim.id,
        claim.task,
        claim.queue,
        claim.args,
        claim.attempt,
        claim.max_attempts,
        claim.lease_token,
    )


class RunnerPool:
    """Up to `size` runners, started when there is work for them."""

    def __init__(
        self, app: App, memory: MemoryControl, size: int, app_reference: str | None = None
    ) -> None:
        self.app = app
        self.memory = memory
        self.size = size
        self.app_reference = app_reference
        self.runners: list[Runner] = []

    def start_one(self) -> Runner:
        runner = Runner(self.app, self.memory, self.app_reference)
        self.runners.append(runner)
        return runner

    @property
    def busy(self) -> list[Runner]:
        return [runner for runner in self.runners if runner.current is not None]

    @property
    def idle(self) -> list[Runner]:
        return [runner for runner in self.runners if runner.idle]

    @property
    def free_slots(self) -> int:
        return self.size - len(self.busy)

    def memories(self) -> list[RunnerMemory]:
        return [runner.memory for runner in self.runners]

    def take(self, resources: tuple[str, ...]) -> Runner:
        """A runner for a job: one that holds the job's resources warm, else a plain idle
        one, else a new one; a runner keeping other resources warm is replaced last."""
        idle = self.idle
        if resources:
            warm = [r for r in idle if set(resources) <= set(r.resources)]
            if warm:
                return max(warm, key=lambda r: r.last_used)
        plain = [r for r in idle if not r.resources]
        if plain:
            return max(plain, key=lambda r: r.last_used)
        if idle and len(self.runners) >= self.size:
            self.retire(min(idle, key=lambda r: r.last_used))
        return self.start_one()

    def retire(self, runner: Runner, *, kill: bool = True) -> None:
        if runner.alive:
            runner.kill() if kill else runner.stop()
        self.memory.detach(runner.memory)
        self.runners.remove(runner)

    def evictable(self) -> list[Runner]:
        """Idle runners in the order they should give their memory back: plain ones first
        (a new one starts in milliseconds), then those keeping resources warm, least
        recently used first."""
        return sorted(self.idle, key=lambda r: (bool(r.resources), r.last_used))

    def stop_all(self) -> None:
        for runner in list(self.runners):
            self.retire(runner, kill=False)
