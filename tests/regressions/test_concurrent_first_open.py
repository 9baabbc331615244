"""Processes (or threads) opening the same new SQLite file at once: switching it to WAL
does not wait on the busy timeout, and once failed with "database is locked"."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from cargohold import App

OPEN = "from cargohold.store.sqlite.store import SQLiteStore; SQLiteStore({url!r}).close()"


def test_many_processes_open_a_new_file_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    processes = [
        subprocess.Popen([sys.executable, "-c", OPEN.format(url=url)], stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in processes]
    assert [p.returncode for p in processes] == [0] * 8, errors


def test_threads_share_one_store_of_an_app(tmp_path: Path) -> None:
    app = App(f"sqlite:///{tmp_path / 'threads.db'}")
    stores = []
    threads = [threading.Thread(target=lambda: stores.append(app.store)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(store) for store in stores}) == 1
