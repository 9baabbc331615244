"""bench/.peers-venv: the peers' own virtualenv, filled from PyPI (never cargohold's deps)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from bench.harness.processes import REPO
from bench.peers import PEER_REQUIREMENTS

VENV = REPO / "bench" / ".peers-venv"
PYTHON = VENV / "bin" / "python"
_MARKER = VENV / ".bench-requirements"


def _fingerprint() -> str:
    return hashlib.sha256("\n".join(PEER_REQUIREMENTS).encode()).hexdigest()


def ready() -> bool:
    return PYTHON.exists() and _MARKER.exists() and _MARKER.read_text() == _fingerprint()


def ensure(*, upgrade: bool = False) -> Path:
    """Create the virtualenv and install the peers into it, unless that is done already."""
    if ready() and not upgrade:
        return PYTHON
    if not PYTHON.exists():
        print(f"bench: creating {VENV.relative_to(REPO)}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    print("bench: installing the peers from PyPI: " + " ".join(PEER_REQUIREMENTS), flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "--upgrade", *PEER_REQUIREMENTS], check=True)
    _MARKER.write_text(_fingerprint())
    return PYTHON


def versions(python: Path | str, distributions: list[str]) -> dict[str, str]:
    """Installed versions of these distributions in that interpreter."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try: out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError: out[name] = 'not installed'\n"
        "print(json.dumps(out))\n"
    )
    output = subprocess.run(
        [str(python), "-c", code, *distributions], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, str] = json.loads(output)
    return result
