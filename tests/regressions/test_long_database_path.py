"""A database in a deep folder once broke wake-ups: a socket path has at most 108 bytes,
and a worker embedded in a web process died on "AF_UNIX path too long"."""

from __future__ import annotations

import select
from pathlib import Path

from cargohold.ids import new_job_id
from cargohold.records import NewJob
from cargohold.store.sqlite.store import SQLiteStore


def test_wakeups_work_whatever_the_database_path(tmp_path: Path) -> None:
    deep = tmp_path / ("a-rather-long-folder-name-" * 6)
    deep.mkdir()
    store = SQLiteStore(f"sqlite:///{deep / 'jobs.db'}")
    assert len(str(deep / "jobs.db.wake" / "123456-abcdefgh")) > 108
    wakeup = store.wakeup()
    try:
        job = NewJob(new_job_id(), "t", "default", '{"args":[],"kwargs":{}}')
        store.enqueue([job], store.now())
        readable, _, _ = select.select([wakeup.fileno()], [], [], 5.0)
        assert readable
    finally:
        wakeup.close()
        store.close()
