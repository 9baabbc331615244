"""Which cargohold is measured: the installed package (the working tree, by default), or a
commit exported from git (`--cargohold-ref`), unaffected by edits in progress."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from bench.harness.processes import REPO


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def export(ref: str, into: Path) -> tuple[Path, str]:
    """Write `src/cargohold` of that commit under `into`; returns (its src folder, label)."""
    sha = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", sha, "src/cargohold"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src", f"commit {sha[:10]}"


def working_tree() -> str:
    """A label for the installed (editable) package: HEAD, and whether src/ has edits."""
    try:
        sha = _git("rev-parse", "HEAD")
        dirty = bool(_git("status", "--porcelain", "--", "src"))
    except (OSError, subprocess.CalledProcessError):
        return "installed package"
    return f"working tree at {sha[:10]}" + (" with uncommitted changes in src/" if dirty else "")
