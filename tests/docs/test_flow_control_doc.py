"""The examples of docs/flow-control.md, run in order as one program on a fresh store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.docs.test_examples import clean_env, python_blocks
from tests.processes import REPO


def test_flow_control_examples_run(tmp_path: Path) -> None:
    program = "\n".join(python_blocks(REPO / "docs" / "flow-control.md"))
    env = {**clean_env(tmp_path), "CARGOHOLD_STORE": f"sqlite:///{tmp_path / 'flow.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
