"""The driver: runs inside a system's own interpreter and does the producer's side of every
measurement on the harness's request (one JSON object per line on stdin, one reply per line on
stdout). Started by the harness as `python -m bench.driver PEER_ID`."""

from __future__ import annotations

import importlib
import json
import random
import sys
import time
import traceback
from types import ModuleType
from typing import Any

from bench.peers import BY_ID, common

POLL = 0.01
"""Seconds between two reads of the store or broker while waiting for a drain."""
CHUNK = 10_000
"""Jobs per bulk call when filling a backlog."""
TOGETHER_HOLD = 0.5
"""Seconds each warm-up `hold` job keeps its worker process busy."""


class Driver:
    def __init__(self, adapter: ModuleType) -> None:
        self.adapter = adapter

    def setup(self) -> None:
        self.adapter.setup()

    def enqueue(self, n: int) -> float:
        """Seconds to enqueue `n` no-op jobs one call at a time."""
        enqueue = self.adapter.enqueue
        started = time.perf_counter()
        for _ in range(n):
            enqueue("noop", [])
        return time.perf_counter() - started

    def bulk(self, n: int) -> float | None:
        """Seconds to enqueue `n` no-op jobs in one bulk call; None without a bulk API."""
        if self.adapter.enqueue_bulk is None:
            return None
        argses: list[list[Any]] = [[] for _ in range(n)]
        started = time.perf_counter()
        self.adapter.enqueue_bulk("noop", argses)
        return time.perf_counter() - started

    def has_bulk(self) -> bool:
        return self.adapter.enqueue_bulk is not None

    def worker_command(self, python: str) -> list[str]:
        return list(self.adapter.worker_command(python))

    def default_worker_command(self, python: str) -> list[str]:
        return list(self.adapter.default_worker_command(python))

    def enqueue_burst(self, n: int, mib: int, hold: float) -> float:
        """Enqueue `n` burst jobs one call at a time; returns the time (epoch) of the first."""
        enqueue = self.adapter.enqueue
        started = time.time()
        for _ in range(n):
            enqueue("burst", [mib, hold])
        return started

    def prefill(self, n: int, task: str) -> float:
        """Fill the queue with `n` jobs the fastest way the system offers (not a measurement)."""
        args = [0.0] if task == "stamp" else []
        started = time.perf_counter()
        for offset in range(0, n, CHUNK):
            size = min(CHUNK, n - offset)
            if self.adapter.enqueue_bulk is not None:
                self.adapter.enqueue_bulk(task, [args] * size)
            else:
                for _ in range(size):
                    self.adapter.enqueue(task, args)
        return time.perf_counter() - started

    def analyze(self) -> None:
        analyze = getattr(self.adapter, "analyze", None)
        if analyze is not None:
            analyze()

    def remaining(self) -> int:
        return int(self.adapter.remaining())

    def drain(self, timeout: float) -> dict[str, Any]:
        """Poll the store until nothing remains; the times of the first seen progress and the
        end give the drain rate without the workers' start-up time."""
        remaining = self.adapter.remaining
        start_t, initial = time.time(), remaining()
        first_t, first_left = None, initial
        last_t, last_left = start_t, initial
        while True:
            left = remaining()
            now = time.time()
            if first_t is None and left < initial:
                first_t, first_left = now, left
            last_t, last_left = now, left
            if left == 0 or now - start_t > timeout:
                break
            time.sleep(POLL)
        return {
            "start_t": start_t,
            "initial": initial,
            "first_t": first_t,
            "first_left": first_left,
            "end_t": last_t,
            "end_left": last_left,
        }

    def settle(self, n: int, timeout: float, together: int = 0) -> float:
        """Warm-up before memory: enqueue `together` jobs of the `hold` task, which run at
        the same time and so make a worker that starts its processes when there is work for
        them start `together` of them, then `n` no-op jobs; wait until they are done."""
        for _ in range(together):
            self.adapter.enqueue("hold", [TOGETHER_HOLD])
        for _ in range(n):
            self.adapter.enqueue("noop", [])
        return self.drain(timeout)["end_left"]

    def latency(
        self, n: int, ledger: str, gap: tuple[float, float], timeout: float
    ) -> dict[str, Any]:
        """Enqueue `n` stamp jobs, one at a time on an idle worker: each waits for the
        previous one to have started, plus a random gap."""
        reader = LedgerReader(ledger)
        rng = random.Random(7)
        missed = 0
        for i in range(n):
            self.adapter.enqueue("stamp", [time.time()])
            deadline = time.time() + timeout
            while reader.poll() <= i - missed and time.time() < deadline:
                time.sleep(0.0002)
            if reader.poll() <= i - missed:
                missed += 1
                if missed >= 3:
                    break
            time.sleep(rng.uniform(*gap))
        reader.poll()
        return {"rows": reader.rows, "missed": missed}

    def close(self) -> None:
        self.adapter.close()


LedgerReader = common.LedgerReader


def serve(peer_id: str) -> None:
    peer = BY_ID[peer_id]
    adapter = importlib.import_module(f"bench.peers.{peer.module}")
    driver = Driver(adapter)
    out = sys.stdout
    sys.stdout = sys.stderr  # whatever the libraries print must not corrupt the replies
    out.write(json.dumps({"ok": True, "result": "ready"}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        command = request.pop("cmd")
        try:
            if command == "quit":
                driver.close()
                reply: dict[str, Any] = {"ok": True, "result": None}
            else:
                reply = {"ok": True, "result": getattr(driver, command)(**request)}
        except Exception:
            reply = {"ok": False, "error": traceback.format_exc()}
        out.write(json.dumps(reply) + "\n")
        out.flush()
        if command == "quit":
            return


if __name__ == "__main__":
    serve(sys.argv[1])
