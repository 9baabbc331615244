"""Measuring one system: check it can run here, give it a scratch store, a driver in its own
interpreter and its workers; release everything afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import measure, peers_venv, services
from bench.harness.processes import REPO, Driver
from bench.peers import Peer, common


@dataclass
class Context:
    """What every system's run shares."""

    plan: measure.Plan
    scratch: Path
    results: Path
    postgres: services.Postgres
    repo_python: str
    peer_python: Path | None
    cargohold_path: Path | None
    """A cargohold source folder to put first on the path (--cargohold-ref), or None."""
    cargohold_label: str


ROUND: tuple[Callable[[measure.Session], None], ...] = (
    measure.enqueue_and_drain,
    measure.idle_memory_and_latency,
)
"""The measurements of one repetition, in order."""
ENQUEUE_PASS: tuple[Callable[[measure.Session], None], ...] = (
    measure.single_enqueue,
    measure.bulk_enqueue,
)
"""The enqueue measurements: a few seconds per system, taken in passes of their own so that
the systems compared are measured within a minute of each other. The time a disk takes to
flush, which bounds every durable enqueue, drifts over a run by more than the ratios the
goals ask for."""


class System:
    """One system under test across the whole run. Each round gets a fresh scratch store and
    driver, so rounds of different systems can alternate and share out whatever else the
    machine is doing."""

    def __init__(self, peer: Peer, context: Context) -> None:
        self.peer = peer
        self.context = context
        self.python = context.repo_python if peer.in_repo_venv else str(context.peer_python)
        self.env = _environment(peer, context)
        self.results = measure.Results()
        self.failures: list[str] = []
        self.worker_argv: list[str] = []
        self.logs = context.results / "logs" / peer.id
        self.broken = broken(peer, self.python, self.env)
        self.skipped = self.broken or unavailable(peer, context, self.python, self.env)
        self.version = ""
        if self.skipped is None:
            self.version = peers_venv.versions(self.python, [peer.distribution])[peer.distribution]
            if peer.is_cargohold:
                self.version += f" ({context.cargohold_label})"
            shutil.rmtree(self.logs, ignore_errors=True)
            self.logs.mkdir(parents=True)

    def run(self, steps: tuple[Callable[[measure.Session], None], ...], label: str) -> None:
        """One round: a scratch store and a driver, these steps, then release both."""
        if self.skipped is not None:
            return
        self.env[common.URL_ENV] = _store_url(self.peer, self.context)
        try:
            driver = Driver(self.python, self.peer.id, self.env, self.logs / f"{label}-driver.log")
            try:
                session = measure.Session(
                    driver,
                    driver.call("worker_command", python=self.python),
                    self.env,
                    Path(self.env[common.LEDGER_ENV]),
                    self.logs,
                    self.context.plan,
                    results=self.results,
                    label=label,
                    python=self.python,
                    processes_on_demand=self.peer.processes_on_demand,
                )
                self.worker_argv = session.worker_argv
                for step in steps:
                    self.failures += _attempt(step, session, self.logs)
            finally:
                driver.stop()
        except Exception as error:
            _log_failure(self.logs)
            self.failures.append(f"{label}: {_first_line(error)}")
        finally:
            try:
                _release(self.peer, self.context)
            except Exception as error:
                _log_failure(self.logs)
                self.failures.append(f"{label}: releasing the store failed: {_first_line(error)}")

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "settings": self.peer.workers,
            "distribution": self.peer.distribution,
        }
        if self.skipped is not None:
            status = "failed" if self.broken else "skipped"
            return {**entry, "status": status, "reason": self.skipped}
        if self.peer.burst_workers is not None:
            entry["burst_workers"] = self.peer.burst_workers
        measured = bool(self.results.runs)
        return {
            **entry,
            "version": self.version,
            "status": "measured" if measured else "failed",
            **({} if measured else {"reason": (self.failures or ["no figure"])[0]}),
            "worker_command": self.worker_argv,
            "runs": self.results.runs,
            "raw": self.results.raw,
            "notes": self.results.notes + self.failures,
        }


def _environment(peer: Peer, context: Context) -> dict[str, str]:
    paths = [str(REPO)]
    if peer.is_cargohold and context.cargohold_path is not None:
        paths.insert(0, str(context.cargohold_path))
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return {
        **os.environ,
        common.LEDGER_ENV: str(context.scratch / f"{peer.id}.ledger"),
        common.PEER_ENV: peer.id,
        "PYTHONPATH": os.pathsep.join(paths),
    }


def unavailable(peer: Peer, context: Context, python: str, env: dict[str, str]) -> str | None:
    """Why this system cannot be measured here, or None."""
    if not peer.in_repo_venv and context.peer_python is None:
        return "bench/.peers-venv is not installed (smoke and --no-install runs never install it)"
    if peer.service == "redis":
        return services.redis_available()
    if peer.service != "postgres":
        return None
    if peer.id == "cargohold-postgres":
        error = _import_error(python, env, "cargohold.store.postgres.store")
        if error is not None:
            return f"cargohold.store.postgres is not importable yet ({error})"
    return context.postgres.unavailable()


def broken(peer: Peer, python: str, env: dict[str, str]) -> str | None:
    """Why cargohold's worker cannot even start (a broken checkout), or None."""
    if not peer.is_cargohold:
        return None
    error = _import_error(python, env, "cargohold.cli.main", "cargohold.worker.supervisor")
    return None if error is None else f"cargohold does not import: {error}"


def _import_error(python: str, env: dict[str, str], *modules: str) -> str | None:
    probe = subprocess.run(
        [python, "-c", "; ".join(f"import {module}" for module in modules)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode == 0:
        return None
    return (probe.stderr.strip().splitlines() or ["?"])[-1]


def _attempt(
    step: Callable[[measure.Session], None], session: measure.Session, logs: Path
) -> list[str]:
    try:
        step(session)
    except Exception as error:
        _log_failure(logs)
        print(f"bench:   {step.__name__} failed: {_first_line(error)}", flush=True)
        return [f"{step.__name__} failed: {_first_line(error)}"]
    return []


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


def _log_failure(logs: Path) -> None:
    with (logs / "harness.log").open("a") as log:
        log.write(traceback.format_exc())


def _store_url(peer: Peer, context: Context) -> str:
    if peer.service == "sqlite":
        return f"sqlite:///{context.scratch.resolve() / (peer.id + '.db')}"
    if peer.service == "redis":
        services.flush_redis()
        return services.redis_url()
    return context.postgres.create(peer.id)


def _release(peer: Peer, context: Context) -> None:
    if peer.service == "redis":
        services.flush_redis()
    elif peer.service == "postgres":
        context.postgres.drop_all()
