"""The `store` fixture: every contract test runs once per store kind, unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cargohold.store import Store
from cargohold.store.sqlite.store import SQLiteStore

STORE_KINDS = ["sqlite"]


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = SQLiteStore(f"sqlite:///{tmp_path / 'contract.db'}")
        yield opened
        opened.close()
