"""The supervisor's side of its runner processes: start, send, kill, describe how they died."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from cargohold.records import Claim
from cargohold.worker.messages import RunJob
from cargohold.worker.runner import runner_main

if TYPE_CHECKING:
    from cargohold.app import App


@dataclass(slots=True)
class Running:
    """The attempt a runner is busy with."""

    claim: Claim
    started_at: float
    deadline: float | None


class Runner:
    """One runner child process and the pipe to it."""

    def __init__(self, app: App, number: int) -> None:
        context = multiprocessing.get_context("fork")
        parent_end, child_end = context.Pipe(duplex=True)
        self.number = number
        self.process: BaseProcess = context.Process(
            target=runner_main,
            args=(app, child_end, os.getpid()),
            name=f"cargohold-runner-{number}",
            daemon=True,
        )
        self.process.start()
        child_end.close()
        self.connection: Connection = parent_end
        self.current: Running | None = None
        self.jobs_done = 0

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    @property
    def idle(self) -> bool:
        return self.current is None and self.alive

    @property
    def alive(self) -> bool:
        return self.process.exitcode is None

    def send(self, claim: Claim, now: float) -> None:
        deadline = None if claim.timeout is None else now + claim.timeout
        self.current = Running(claim, now, deadline)
        self.connection.send(
            RunJob(
                claim.id,
                claim.task,
                claim.queue,
                claim.args,
                claim.attempt,
                claim.max_attempts,
                claim.lease_token,
            )
        )

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.process.join()
        self.connection.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask an idle runner to exit; kill it if it does not."""
        with contextlib.suppress(OSError):
            self.connection.send(None)
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
            hint = " (out of memory, or killed by hand?)" if name == "SIGKILL" else ""
            return f"runner process {self.pid} was killed by {name}{hint}"
        return f"runner process {self.pid} exited with status {code}"
