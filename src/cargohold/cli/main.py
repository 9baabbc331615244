"""Argument parsing and dispatch for the `cargohold` command."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from cargohold.cli import commands, copying, queues
from cargohold.errors import CargoholdError
from cargohold.settings import DEFAULT_STORE, describe, env_var
from cargohold.states import JobState

# The store comes from the app or --store; the payload limit applies where jobs are enqueued.
_NOT_WORKER_FLAGS = ("store", "max_payload")


def _env_default(name: str, fallback: str | None = None) -> str | None:
    return os.environ.get(env_var(name), fallback)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cargohold",
        description="A durable background job queue that never runs its host out of memory.",
    )
    parser.add_argument(
        "--store",
        default=None,
        help=f"store URL (env {env_var('store')}, default {DEFAULT_STORE}; "
        "with an app, the app's store)",
    )
    parser.add_argument(
        "--app",
        default=_env_default("app"),
        help="the app as MODULE:ATTRIBUTE, for commands that need its tasks "
        f"(env {env_var('app')})",
    )
    parser.add_argument(
        "--log-level",
        default=_env_default("log_level", "INFO"),
        help=f"DEBUG, INFO, WARNING or ERROR (env {env_var('log_level')}, default INFO)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_worker_command(sub)
    _add_job_commands(sub)
    _add_other_commands(sub)
    return parser


def _add_worker_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser("worker", help="run jobs: a supervisor and its runner processes")
    worker.add_argument("app_ref", metavar="APP", nargs="?", help="MODULE:ATTRIBUTE of the app")
    for name, text, default in describe():
        if name in _NOT_WORKER_FLAGS:
            continue
        if default is None:
            shown = "all" if name == "queues" else "auto"
        else:
            shown = ",".join(default) if isinstance(default, tuple) else str(default)
        worker.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            default=None,
            help=f"{text} (env {env_var(name)}, default {shown})".replace("%", "%%"),
        )


def _add_job_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    enqueue = sub.add_parser("enqueue", help="enqueue a job of a registered task")
    enqueue.add_argument("task", help="the task's registered name")
    enqueue.add_argument("--args", default="[]", help="positional arguments as a JSON list")
    enqueue.add_argument("--kwargs", default="{}", help="keyword arguments as a JSON object")
    enqueue.add_argument("--key", help="idempotency key: a known key returns the existing job")
    enqueue.add_argument("--delay", help="run after this long, e.g. 30s, 10m")
    enqueue.add_argument("--priority", type=int, help="higher runs first")
    enqueue.add_argument("--queue", help="override the task's queue")
    enqueue.add_argument("--json", action="store_true", help="print the job as JSON")

    status = sub.add_parser("status", help="show one job: its place in line, ETA and events")
    status.add_argument("job_id", metavar="JOB")
    status.add_argument("--json", action="store_true")

    jobs = sub.add_parser("jobs", help="list jobs, newest first")
    jobs.add_argument("--state", action="append", choices=[str(s) for s in JobState])
    jobs.add_argument("--queue", action="append")
    jobs.add_argument("--task", action="append")
    jobs.add_argument("--limit", type=int, default=50)
    jobs.add_argument("--json", action="store_true")

    retry = sub.add_parser("retry", help="queue failed or cancelled jobs again")
    retry.add_argument("job_id", metavar="JOB", nargs="?")
    retry.add_argument("--failed", action="store_true", help="retry every failed job")
    retry.add_argument("--queue", action="append", help="with --failed: only these queues")
    retry.add_argument("--task", action="append", help="with --failed: only these tasks")

    cancel = sub.add_parser("cancel", help="cancel a job (a running one is stopped)")
    cancel.add_argument("job_id", metavar="JOB")
    cancel.add_argument("--reason", default="cancelled from the command line")

    stats = sub.add_parser("stats", help="jobs per queue and state, and the workers")
    stats.add_argument("--json", action="store_true")
    queues.add_commands(sub)


def _add_other_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("migrate", help="create or upgrade the store's schema")
    copying.add_command(sub)
    sub.add_parser(
        "doctor", help="what a worker here would detect: memory limit, budget, enforcement"
    )

    serve = sub.add_parser(
        "serve",
        help="the HTTP API and dashboard (needs the [web] extra)",
        epilog="Tokens and the signing secret are read from the environment only, never from "
        "flags (command lines are visible to other users): CARGOHOLD_WEB_ADMIN_TOKENS, "
        "CARGOHOLD_WEB_TOKENS (read-only), CARGOHOLD_WEB_SECRET.",
    )
    serve.add_argument("app_ref", metavar="APP", nargs="?", help="MODULE:ATTRIBUTE of the app")
    serve.add_argument("--host", help="address to bind (env CARGOHOLD_WEB_HOST, default 127.0.0.1)")
    serve.add_argument("--port", help="port to listen on (env CARGOHOLD_WEB_PORT, default 8000)")

    demo = sub.add_parser("demo", help="a self-contained demonstration on the embedded store")
    demo.add_argument("--jobs", type=int, default=12, help="how many jobs to enqueue")
    demo.add_argument("--concurrency", type=int, default=3)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    logging.basicConfig(
        level=options.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return commands.run(options)
    except CargoholdError as error:
        print(f"cargohold: error: {error}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as error:
        print(f"cargohold: error: not JSON: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `cargohold jobs | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
