"""The runner: a child process that runs one job at a time, for as many jobs as it is sent.

It never touches the store's job rows: it reports to its supervisor, which decides and
persists. If the supervisor dies, the kernel kills the runner too (PR_SET_PDEATHSIG), so a
job is never left running with nobody to account for it.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import pickle
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from cargohold.context import JobContext, set_current_job
from cargohold.errors import PayloadError, UnknownTaskError
from cargohold.memory.usage import PeakMeter, volunteer_for_oom_kill
from cargohold.payload import decode_arguments, encode_result, storable_text
from cargohold.signals import Cancel, Fail, Retry, Snooze
from cargohold.worker.messages import STOP, ProgressReport, RunJob, RunReport, read_jobs

if TYPE_CHECKING:
    from cargohold.app import App

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when its parent exits."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


RUNNER_ENV = "CARGOHOLD_IN_RUNNER"
"""Set in runner processes, so that an app that starts a worker on import does not do so
again in a runner that imports it."""


READY = "ready"
"""Runner to supervisor, once: set up (a spawned runner has imported the app) and waiting."""


def spawned_runner_main() -> None:
    """Entry point of a runner started fresh (`python -c ...`), not forked: its arguments
    are the app's reference, the file descriptor of its pipe, and its supervisor's pid."""
    from cargohold.loading import load_app

    reference, descriptor, parent_pid = sys.argv[1:4]
    connection = Connection(int(descriptor))
    runner_main(load_app(reference), connection, int(parent_pid))


def runner_main(app: App, connection: Connection, parent_pid: int) -> None:
    """Entry point of a runner process."""
    os.environ[RUNNER_ENV] = "1"
    die_with_parent(parent_pid)
    volunteer_for_oom_kill()
    # Ctrl+C, and a SIGTERM sent to the whole process group (systemd, docker stop), reach the
    # runners too; the supervisor decides what stops and when, and kills runners itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def send_progress(
        job_id: str, current: float, total: float | None, message: str | None
    ) -> None:
        text = None if message is None else storable_text(message)
        connection.send(ProgressReport(job_id, current, total, text))

    meter = PeakMeter()
    connection.send(READY)
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is STOP:
            return
        # One job, or quick jobs sent ahead to run one after the other.
        jobs = read_jobs(message)
        for index, job in enumerate(jobs):
            meter.start(right_after=index > 0)
            report = run_job(app, job, send_progress)
            peak = meter.peak(more_to_come=index + 1 < len(jobs))
            resources = app.loaded_resources()
            if peak is not None or resources:
                report = report._replace(peak_memory=peak, resources=resources)
            # Each report at once, so a runner that dies leaves no finished job unreported;
            # plain pickle: lighter than the pickler `send` builds, and enough for a report.
            connection.send_bytes(pickle.dumps(report))
        meter.arm()  # while idle: the next job starts without reading its memory first


def run_job(app: App, job: RunJob, send_progress: Any) -> RunReport:
    """Run one attempt and report how it ended; never raises for the task's own errors."""
    try:
        task = app.get_task(job.task)
        args, kwargs = decode_arguments(job.args)
    except (UnknownTaskError, PayloadError) as error:
        return RunReport(job.id, "permanent", error=str(error))
    set_current_job(
        JobContext(
            job.id,
            job.task,
            job.queue,
            job.attempt,
            job.max_attempts,
            job.lease_token,
            send_progress,
        )
    )
    try:
        value = task.fn(*args, **kwargs)
        if task.is_async:
            value = asyncio.run(value)
    # A task's own words (errors, reasons) are made storable here: a string no store can
    # hold would make every outcome persisted with it fail, again and again.
    except Retry as signal_:
        return RunReport(job.id, "retry", error=_storable(signal_.reason), delay=signal_.delay)
    except Snooze as signal_:
        return RunReport(job.id, "snooze", error=_storable(signal_.reason), delay=signal_.delay)
    except Cancel as signal_:
        return RunReport(job.id, "cancel", error=_storable(signal_.reason))
    except Fail as signal_:
        return RunReport(job.id, "permanent", error=_storable(signal_.reason))
    except Exception as error:
        described = storable_text(_describe(error))
        return RunReport(
            job.id, "error", error=described, traceback=_storable(traceback.format_exc())
        )
    finally:
        set_current_job(None)
    try:
        return RunReport(job.id, "succeeded", result=encode_result(job.task, value))
    except PayloadError as error:
        return RunReport(job.id, "permanent", error=str(error))


def _storable(text: str | None) -> str | None:
    return None if text is None else storable_text(text)


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
