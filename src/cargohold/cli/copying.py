"""`cargohold copy SRC_URL DST_URL`: move jobs from one store to another."""

from __future__ import annotations

import argparse

from cargohold.errors import ConfigurationError
from cargohold.store import open_store
from cargohold.store.copying import ACTIVE_WITHIN, PAGE_SIZE, copy_jobs
from cargohold.store.sqlite.connection import database_path


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    copy = sub.add_parser(
        "copy",
        help="copy every job (queued, scheduled, running, finished) with its events to "
        "another store, e.g. from SQLite to PostgreSQL",
        description="Copy every job of SRC_URL, with its events and what was learned about "
        "its tasks, into DST_URL (migrated first). Job ids are kept and jobs already in "
        "DST_URL are left alone, so running it twice copies nothing twice. Jobs running on "
        "the source are copied as queued. The source is only read.",
    )
    copy.add_argument("source", metavar="SRC_URL", help="the store to copy from")
    copy.add_argument("destination", metavar="DST_URL", help="the store to copy into")
    copy.add_argument(
        "--force",
        action="store_true",
        help=f"copy even though a worker was seen on the source in the last {ACTIVE_WITHIN:g}s",
    )
    copy.add_argument("--page-size", type=int, default=PAGE_SIZE, help="jobs per transaction")


def copy(options: argparse.Namespace) -> int:
    if options.source.lower().startswith("sqlite") and not database_path(options.source).exists():
        raise ConfigurationError(f"the source store {options.source} does not exist")
    source = open_store(options.source)
    try:
        destination = open_store(options.destination)
        try:
            report = copy_jobs(
                source, destination, force=options.force, page_size=options.page_size
            )
        finally:
            destination.close()
    finally:
        source.close()
    states = ", ".join(f"{count} {state}" for state, count in sorted(report.by_state.items()))
    skipped = report.read - report.written
    print(
        f"copied {report.written} job(s) from {source.url} to {destination.url}"
        + (f" ({states})" if states else "")
        + (f"; {skipped} were there already" if skipped else "")
    )
    if report.requeued:
        print(
            f"{len(report.requeued)} job(s) running on the source were copied as queued "
            f"(or cancelled, if a cancel was asked for): {', '.join(report.requeued)}"
        )
    print(f"the source is unchanged; point CARGOHOLD_STORE at {destination.url} to use the copy")
    return 0
