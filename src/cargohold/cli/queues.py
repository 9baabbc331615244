"""`cargohold pause QUEUE`, `resume QUEUE` and `queues`: the pause switch of a queue, kept
in the store (workers stop claiming from a paused queue; it stays paused across restarts)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from cargohold.cli.loading import load_app
from cargohold.cli.output import ago, print_json, table
from cargohold.settings import DEFAULT_STORE, env_var
from cargohold.states import JobState
from cargohold.store import Store, open_store


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pause_ = sub.add_parser(
        "pause", help="stop workers taking jobs from a queue (running ones finish)"
    )
    pause_.add_argument("queue", metavar="QUEUE")
    resume_ = sub.add_parser("resume", help="let workers take jobs from a paused queue again")
    resume_.add_argument("queue", metavar="QUEUE")
    queues_ = sub.add_parser("queues", help="queues: waiting and running jobs, paused or not")
    queues_.add_argument("--json", action="store_true")


def _store(options: argparse.Namespace) -> Store:
    if options.app:
        return load_app(options.app).store
    return open_store(options.store or os.environ.get(env_var("store"), DEFAULT_STORE))


def pause(options: argparse.Namespace) -> int:
    store = _store(options)
    changed = store.set_queue_paused(options.queue, True, store.now())
    print(f"queue {options.queue} {'paused' if changed else 'was already paused'}")
    return 0


def resume(options: argparse.Namespace) -> int:
    store = _store(options)
    changed = store.set_queue_paused(options.queue, False, store.now())
    print(f"queue {options.queue} {'resumed' if changed else 'was not paused'}")
    return 0


def queues(options: argparse.Namespace) -> int:
    store = _store(options)
    counts = store.count_jobs()
    controls = {c.name: c for c in store.queue_controls()}
    names = sorted(set(counts) | set(controls))
    rows: list[dict[str, Any]] = []
    for name in names:
        count = counts.get(name)
        control = controls.get(name)
        rows.append(
            {
                "queue": name,
                "queued": count[JobState.QUEUED] if count else 0,
                "scheduled": count[JobState.SCHEDULED] if count else 0,
                "running": count[JobState.RUNNING] if count else 0,
                "paused": bool(control and control.paused),
                "changed_at": control.changed_at if control else None,
            }
        )
    if options.json:
        print_json(rows)
        return 0
    print(
        table(
            ["queue", "queued", "scheduled", "running", "paused", "since"],
            [
                (
                    r["queue"],
                    r["queued"],
                    r["scheduled"],
                    r["running"],
                    "yes" if r["paused"] else "no",
                    ago(r["changed_at"]) if r["paused"] else "",
                )
                for r in rows
            ],
        )
        if rows
        else "no queues"
    )
    return 0


COMMANDS = {"pause": pause, "resume": resume, "queues": queues}
