"""What every adapter shares: where its store is, and the ledger the `stamp` task writes.

An adapter module defines two tasks, `noop()` and `stamp(enqueued_at)`, in its system's own
way, and these module-level functions, which the driver calls:

    setup()                      empty store or broker with its schema in place
    enqueue(task, args)          one job, through the system's ordinary single-enqueue call
    enqueue_bulk(task, argses)   many jobs in one call of its bulk API (None if it has none)
    remaining()                  jobs not finished yet, read from the store or broker
    worker_command(python)       argv of its worker with the settings the report names
    close()                      release connections

A system that runs the memory burst (its peer has `burst_workers`) also defines a third task,
`burst(mib, hold)`, whose body is `common.burst`, and:

    default_worker_command(python)   argv of its worker with the system's own defaults

A system whose worker starts its processes on demand (its peer has `processes_on_demand`)
defines a `hold(seconds)` task that sleeps, with a small memory need declared up front.

Only the standard library here: it is imported by both interpreters.
"""

from __future__ import annotations

import os
import time

URL_ENV = "BENCH_URL"
LEDGER_ENV = "BENCH_LEDGER"
PEER_ENV = "BENCH_PEER"


def url() -> str:
    return os.environ[URL_ENV]


def peer_id() -> str:
    return os.environ.get(PEER_ENV, "")


def stamp(enqueued_at: float) -> None:
    """The latency and backlog task's body: append (enqueued at, started at) to the ledger.

    One O_APPEND write of one short line is atomic, so concurrent workers never interleave.
    """
    _append(f"{enqueued_at!r} {time.time()!r}\n".encode())


def burst(mib: int, hold: float) -> None:
    """The memory burst's task body: really use `mib` MiB (write every page), hold it for
    `hold` seconds, then append (started at, finished at) to the ledger."""
    started_at = time.time()
    block = bytearray(mib * 1024 * 1024)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    time.sleep(hold)
    del block
    _append(f"{started_at!r} {time.time()!r}\n".encode())


def _append(line: bytes) -> None:
    fd = os.open(os.environ[LEDGER_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


class LedgerReader:
    """Reads the ledger's complete lines as they are appended."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""
        self.rows: list[tuple[float, float]] = []

    def poll(self) -> int:
        """Read what was appended since the last call; returns the number of rows so far."""
        try:
            with open(self.path, "rb") as ledger:
                ledger.seek(self._offset)
                chunk = ledger.read()
        except FileNotFoundError:
            return len(self.rows)
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        for line in lines:
            enqueued, started = line.split()
            self.rows.append((float(enqueued), float(started)))
        return len(self.rows)
