"""Loads the SQL of a store: one statement per file, named after the store method."""

from __future__ import annotations

import sqlite3
from functools import cache
from importlib import resources


@cache
def statement(package: str, name: str) -> str:
    return (resources.files(package) / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def migrations(package: str) -> list[tuple[int, str, str]]:
    """(version, name, text) of every numbered migration file, in order."""
    found = []
    for entry in (resources.files(package) / "migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def split_statements(script: str) -> list[str]:
    """The statements of a migration script, each complete on its own."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
