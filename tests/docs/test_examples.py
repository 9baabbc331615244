"""The examples in README.md and docs/ are run, so they cannot rot."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import REPO

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(path: Path) -> list[str]:
    return PYTHON_BLOCK.findall(path.read_text())


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGOHOLD_")}
    env["PYTHONPATH"] = str(tmp_path)
    return env


def test_readme_example_runs_with_a_real_worker(tmp_path: Path) -> None:
    definition, usage = python_blocks(REPO / "README.md")
    (tmp_path / "myapp.py").write_text(definition)
    env = clean_env(tmp_path)
    script = f"from myapp import render_book\n{usage}\nprint('JOB', job.id)\n"
    enqueued = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    job_id = enqueued.stdout.split("JOB ")[1].strip()
    worker = subprocess.Popen(
        [sys.executable, "-m", "cargohold", "worker", "myapp:app"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = subprocess.run(
                [sys.executable, "-m", "cargohold", "status", job_id, "--json"],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            job = json.loads(status.stdout)
            if job["state"] == "succeeded":
                break
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(30)
    assert job["result"] == {"pdf": "/books/ord_42.pdf"}
    assert job["progress"] == {"current": 12, "total": 12, "message": "page 12 of 12"}


TESTED_ELSEWHERE = {"mounting.md"}
"""Docs whose blocks are files of separate projects: tests/web/test_mount_frameworks.py
writes each project out and serves it."""
RUNNABLE_DOCS = sorted(
    p for p in (REPO / "docs").glob("*.md") if python_blocks(p) and p.name not in TESTED_ELSEWHERE
)


NEEDS_POSTGRES = {"postgres.md"}
"""Docs whose examples read a scratch PostgreSQL database's URL from DATABASE_URL."""


@pytest.mark.parametrize("doc", RUNNABLE_DOCS, ids=lambda p: p.name)
def test_doc_python_blocks_run_in_order(
    doc: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    script = "\n\n".join(python_blocks(doc))
    env = clean_env(tmp_path)
    if doc.name in NEEDS_POSTGRES:
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
