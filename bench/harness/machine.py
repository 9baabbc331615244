"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

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
    `samples`): a durable commit's disk flush, a PostgreSQL round trip after an idle gap, and
    waking another process over a pipe after an idle gap."""
    return {
        "disk_flush_ms": _disk_flush(scratch, samples),
        "postgres_idle_round_trip_ms": _postgres_round_trip(admin_url, samples),
        "process_wake_up_ms": _process_wake_up(samples),
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
