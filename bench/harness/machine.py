"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import socket
import sqlite3
import subprocess
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
