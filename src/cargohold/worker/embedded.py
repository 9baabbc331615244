"""Running the supervisor inside a web process, for one-container hosts.

Several web processes on one host (gunicorn with 2 workers) share one memory budget, so only
one of them supervises: whoever holds the host's lock file. The others only enqueue, and
try the lock again now and then, so that one takes over if the supervising process exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cargohold.loading import app_reference
from cargohold.memory.budget import detect_limit
from cargohold.settings import Settings

if TYPE_CHECKING:
    from cargohold.app import App
    from cargohold.worker.supervisor import Supervisor

log = logging.getLogger("cargohold.worker")

RETRY_LOCK_EVERY = 5.0


def budget_lock_path(memory_override: int | None) -> Path:
    """One lock per memory budget: the container's cgroup, or the host."""
    limit = detect_limit(memory_override)
    scope = str(limit.container.path) if limit.container is not None else "host"
    digest = hashlib.sha256(scope.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"cargohold-{os.getuid()}-{digest}.lock"


def try_lock(path: Path) -> IO[bytes] | None:
    """An open, exclusively locked file, or None if another process holds the lock."""
    handle = path.open("ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class EmbeddedWorker:
    """A supervisor on a background thread of this process; runners are child processes."""

    def __init__(self, app: App, overrides: dict[str, Any]) -> None:
        self.app = app
        current = {name: getattr(app.settings, name) for name in Settings.__dataclass_fields__}
        self.settings = Settings.from_env({}, **{**current, **overrides})
        self.supervisor: Supervisor | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cargohold-worker", daemon=True)
        self._reference = app_reference(app)

    @property
    def supervising(self) -> bool:
        """Whether this process is the one running jobs on this host."""
        return self.supervisor is not None

    def start(self) -> EmbeddedWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop claiming, let running jobs finish within the grace period, then return."""
        self._stop.set()
        if self.supervisor is not None:
            self.supervisor.request_stop()
        self._thread.join(timeout)

    def _run(self) -> None:
        lock_path = budget_lock_path(self.settings.memory)
        handle = None
        while not self._stop.is_set():
            handle = try_lock(lock_path)
            if handle is not None:
                break
            log.info(
                "another process supervises this host's memory budget; this one only "
                "enqueues (will take over if it exits)"
            )
            self._stop.wait(RETRY_LOCK_EVERY)
        if handle is None:
            return
        try:
            self._supervise()
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()

    def _supervise(self) -> None:
        from cargohold.worker.supervisor import Supervisor

        supervisor = Supervisor(self.app, self.settings, app_reference=self._reference)
        self.supervisor = supervisor
        supervisor.start()
        try:
            if self._stop.is_set():
                supervisor.request_stop()
            while not supervisor.stopped:
                supervisor.step(max_wait=0.5)
        finally:
            supervisor.shutdown()
            self.supervisor = None
