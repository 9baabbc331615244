"""What the figures were measured on."""

from __future__ import annotations

import contextlib
import os
import platform
import select
import signal
import socket
import sqlite3
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any, NoReturn

from bench.harness import services


def _first(path: str, prefix: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _filesystem(path: Path) -> str:
    try:
        output = subprocess.run(
            ["df", "--output=fstype", str(path)], capture_output=True, text=True, check=True
        ).stdout
        return output.split()[-1]
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _redis_version() -> str | None:
    try:
        with socket.create_connection((services.REDIS_HOST, services.REDIS_PORT), 3) as conn:
            conn.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
            data = b""
            while b"redis_version:" not in data or not data.endswith(b"\r\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    for line in data.decode(errors="replace").splitlines():
        if line.startswith("redis_version:"):
            return line.split(":", 1)[1]
    return None


def _postgres_version(admin_url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(admin_url, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    except Exception:
        return None


def describe(scratch: Path, admin_url: str) -> dict[str, Any]:
    memory_kib = _first("/proc/meminfo", "MemTotal")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _first("/proc/cpuinfo", "model name"),
        "memory_gib": round(int(memory_kib.split()[0]) / 2**20, 1) if memory_kib else None,
        "kernel": platform.release(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "scratch_filesystem": _filesystem(scratch),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "redis": _redis_version(),
        "postgresql": _postgres_version(admin_url),
    }


IDLE_GAP = 0.02
"""Seconds of idleness before each sample of a floor: the gap between two idle-latency jobs
is 10 to 30 ms, after which every process on the path has to be woken up."""


def floors(scratch: Path, admin_url: str, samples: int) -> dict[str, float | None]:
    """What the idle-latency path cannot go below on this machine right now, in ms (median of
    `samples`): a durable commit's disk flush, a PostgreSQL round trip after an idle gap,
    waking another process over a pipe after an idle gap, and the whole way of a job handed
    over through PostgreSQL with nothing else done on it (`_postgres_hand_off`)."""
    return {
        "disk_flush_ms": _disk_flush(scratch, samples),
        "postgres_idle_round_trip_ms": _postgres_round_trip(admin_url, samples),
        "process_wake_up_ms": _process_wake_up(samples),
        "postgres_hand_off_ms": _postgres_hand_off(admin_url, samples),
    }


def _median_ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 3)


def _disk_flush(scratch: Path, samples: int) -> float:
    path = scratch / "flush-probe"
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        timed = []
        for _ in range(samples):
            os.write(descriptor, b"x" * 4096)
            started = time.perf_counter()
            os.fdatasync(descriptor)
            timed.append(time.perf_counter() - started)
            time.sleep(IDLE_GAP / 4)
    finally:
        os.close(descriptor)
        path.unlink()
    return _median_ms(timed)


def _postgres_round_trip(admin_url: str, samples: int) -> float | None:
    try:
        import psycopg

        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as connection:
            timed = []
            for _ in range(samples):
                time.sleep(IDLE_GAP)
                started = time.perf_counter()
                connection.execute("SELECT 1").fetchall()
                timed.append(time.perf_counter() - started)
    except Exception:
        return None
    return _median_ms(timed)


def _process_wake_up(samples: int) -> float:
    """One byte to a child process blocked reading a pipe and one byte back."""
    child_reads, parent_writes = os.pipe()
    parent_reads, child_writes = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child echoes until its pipe closes
        try:
            os.close(parent_writes)
            os.close(parent_reads)
            while os.read(child_reads, 1):
                os.write(child_writes, b"!")
        finally:
            os._exit(0)
    os.close(child_reads)
    os.close(child_writes)
    timed = []
    try:
        for _ in range(samples):
            time.sleep(IDLE_GAP)
            started = time.perf_counter()
            os.write(parent_writes, b"?")
            os.read(parent_reads, 1)
            timed.append(time.perf_counter() - started)
    finally:
        os.close(parent_writes)
        os.close(parent_reads)
        os.waitpid(pid, 0)
    return _median_ms(timed)


HAND_OFF_TABLE = f"bench_hand_off_{os.getpid()}"


def _postgres_hand_off(admin_url: str, samples: int) -> float | None:
    """The bare shape of an idle PostgreSQL worker's path, after 20 ms of idleness: one
    statement inserts a row and NOTIFYs (a durable commit); a process LISTENing hears it and
    passes it over a pipe to another process, which takes the time. No queue does less for
    a job that starts on another process than the one that heard of it."""
    try:
        import psycopg

        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as connection:
            connection.execute(f"CREATE TABLE {HAND_OFF_TABLE} (id integer PRIMARY KEY)")
            try:
                return _median_ms(_hand_offs(connection, admin_url, samples))
            finally:
                connection.execute(f"DROP TABLE {HAND_OFF_TABLE}")
    except Exception:
        return None


def _hand_offs(connection: Any, admin_url: str, samples: int) -> list[float]:
    channel = HAND_OFF_TABLE
    ready_reads, ready_writes = os.pipe()  # the listener to the parent, once it LISTENs
    forward_reads, forward_writes = os.pipe()  # the listener to the starter
    times_reads, times_writes = os.pipe()  # the starter to the parent: when it heard
    children: list[int] = []
    timed = []
    try:
        children.append(os.fork())
        if children[-1] == 0:
            _listen_and_forward(admin_url, channel, ready_writes, forward_writes)
        children.append(os.fork())
        if children[-1] == 0:
            _start_when_heard(forward_reads, times_writes)
        for descriptor in (ready_writes, forward_reads, forward_writes, times_writes):
            os.close(descriptor)
        ready_writes = forward_reads = forward_writes = times_writes = -1
        if not _read_line(ready_reads):
            raise RuntimeError("the listener could not LISTEN")
        for number in range(samples):
            time.sleep(IDLE_GAP)
            started = time.perf_counter()
            connection.execute(
                f"WITH row AS (INSERT INTO {HAND_OFF_TABLE} VALUES (%(n)s) RETURNING id) "
                f"SELECT pg_notify('{channel}', id::text) FROM row",
                {"n": number},
            )
            timed.append(float(_read_line(times_reads)) - started)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        for descriptor in (
            ready_reads,
            ready_writes,
            forward_reads,
            forward_writes,
            times_reads,
            times_writes,
        ):
            if descriptor >= 0:  # -1: closed once both children had their copies
                os.close(descriptor)
    return timed


def _start_when_heard(heard: int, times: int) -> NoReturn:
    """The starting process: the time each forwarded line arrives, until the pipe closes."""
    try:
        while os.read(heard, 64):
            os.write(times, f"{time.perf_counter()!r}\n".encode())
    finally:
        os._exit(0)


def _listen_and_forward(admin_url: str, channel: str, ready: int, forward: int) -> NoReturn:
    """The listening process: never returns."""
    try:
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as heard:
            heard.execute(f"LISTEN {channel}")
            os.write(ready, b"listening\n")
            pgconn = heard.pgconn
            while True:
                select.select([heard.fileno()], [], [])
                pgconn.consume_input()
                while (notification := pgconn.notifies()) is not None:
                    os.write(forward, notification.extra + b"\n")
    finally:
        os._exit(0)


def _read_line(descriptor: int, timeout: float = 5.0) -> bytes:
    """One short line from a pipe (what a child writes at once), or b"" at its end; raise if
    none comes within `timeout` seconds."""
    readable, _, _ = select.select([descriptor], [], [], timeout)
    if not readable:
        raise TimeoutError("no reply from the hand-off's processes")
    return os.read(descriptor, 64).strip()
