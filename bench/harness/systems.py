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


def run_system(peer: Peer, context: Context) -> dict[str, Any]:
    entry: dict[str, Any] = {"settings": peer.workers, "distribution": peer.distribution}
    python = context.repo_python if peer.in_repo_venv else str(context.peer_python)
    env = _environment(peer, context)
    reason = unavailable(peer, context, python, env)
    if reason is not None:
        return {**entry, "status": "skipped", "reason": reason}
    entry["version"] = peers_venv.versions(python, [peer.distribution])[peer.distribution]
    if peer.is_cargohold:
        entry["version"] += f" ({context.cargohold_label})"
    logs = context.results / "logs" / peer.id
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    env[common.URL_ENV] = _store_url(peer, context)
    try:
        driver = Driver(python, peer.id, env, logs / "driver.log")
        try:
            session = measure.Session(
                driver,
                driver.call("worker_command", python=python),
                env,
                Path(env[common.LEDGER_ENV]),
                logs,
                context.plan,
            )
            failures = _measure_all(session, logs)
        finally:
            driver.stop()
    except Exception as error:
        _log_failure(logs)
        return {**entry, "status": "failed", "reason": f"{error}".splitlines()[0]}
    finally:
        _release(peer, context)
    outcome = session.results
    return {
        **entry,
        "status": "measured" if outcome.runs else "failed",
        "worker_command": session.worker_argv,
        "runs": outcome.runs,
        "raw": outcome.raw,
        "notes": outcome.notes + failures,
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
        probe = subprocess.run(
            [python, "-c", "import cargohold.store.postgres.store"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode:
            last = (probe.stderr.strip().splitlines() or ["?"])[-1]
            return f"cargohold.store.postgres is not importable yet ({last})"
    return context.postgres.unavailable()


def _measure_all(session: measure.Session, logs: Path) -> list[str]:
    steps: list[Callable[[measure.Session], None]] = [
        measure.enqueue_and_drain,
        measure.bulk_enqueue,
        measure.idle_memory_and_latency,
    ]
    failures = []
    for _ in range(session.plan.repeat):
        for step in steps:
            failures += _attempt(step, session, logs)
    return failures + _attempt(measure.backlog_scaling, session, logs)


def _attempt(
    step: Callable[[measure.Session], None], session: measure.Session, logs: Path
) -> list[str]:
    try:
        step(session)
    except Exception as error:
        _log_failure(logs)
        text = str(error).strip()
        first_line = text.splitlines()[0] if text else repr(error)
        print(f"bench:   {step.__name__} failed: {first_line}", flush=True)
        return [f"{step.__name__} failed: {first_line}"]
    return []


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
