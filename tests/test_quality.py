"""The codebase's own rules: type-checked, linted, and layered (core never imports cli/web)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.processes import REPO

PACKAGE = REPO / "src" / "cargohold"
OUTER_LAYERS = ("cli", "web")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_mypy_strict_is_clean_on_the_package_and_typed_usage() -> None:
    done = run("mypy", "--strict", "src/cargohold", "tests/typing/typed_usage.py")
    assert done.returncode == 0, done.stdout


def test_mypy_catches_wrong_task_arguments() -> None:
    done = run("mypy", "--strict", "tests/typing/typed_mistakes.py")
    source = (REPO / "tests/typing/typed_mistakes.py").read_text().splitlines()
    expected = {n + 1 for n, line in enumerate(source) if "# error:" in line}
    reported = {
        int(line.split(":")[1])
        for line in done.stdout.splitlines()
        if "typed_mistakes.py:" in line and ": error:" in line
    }
    assert reported == expected, done.stdout


def test_ruff_is_clean() -> None:
    done = run("ruff", "check", "src", "tests")
    assert done.returncode == 0, done.stdout
    formatted = run("ruff", "format", "--check", "src", "tests")
    assert formatted.returncode == 0, formatted.stdout


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_never_imports_the_outer_layers() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in OUTER_LAYERS or relative.name == "__main__.py":
            continue
        for module in imported_modules(path):
            if any(module.startswith(f"cargohold.{layer}") for layer in OUTER_LAYERS):
                offenders.append(f"{relative} imports {module}")
    assert offenders == []


def test_outer_layers_contain_no_sql() -> None:
    keywords = ("SELECT ", "UPDATE ", "INSERT ", "DELETE ")
    for layer in OUTER_LAYERS:
        for path in (PACKAGE / layer).rglob("*.py") if (PACKAGE / layer).exists() else ():
            text = path.read_text()
            assert not any(k in text for k in keywords), f"{path} contains SQL"
