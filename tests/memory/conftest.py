from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.memory.container import MIB, Container, unavailable_reason


@pytest.fixture
def container() -> Iterator[Container]:
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"memory tests must run in CI: {reason}")
        pytest.skip(reason)
    box = Container(512 * MIB)
    try:
        yield box
    finally:
        box.destroy()
