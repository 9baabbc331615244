"""Stores, picked by URL: `sqlite:///path/to/file.db` or `postgresql://...`."""

from __future__ import annotations

from cargohold.errors import ConfigurationError
from cargohold.store.protocol import Store, Wakeup

__all__ = ["Store", "Wakeup", "open_store"]


def open_store(url: str) -> Store:
    """The store for `url`, migrated to the current schema."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from cargohold.store.sqlite.store import SQLiteStore

        return SQLiteStore(url)
    if scheme in ("postgresql", "postgres"):
        try:
            from cargohold.store.postgres.store import PostgresStore
        except ModuleNotFoundError as error:
            if error.name not in ("psycopg", "psycopg_pool"):
                raise
            raise ConfigurationError(
                f"a postgresql:// store needs the PostgreSQL driver ({error.name} is not "
                "installed); install it with: pip install 'cargohold[postgres]'"
            ) from error
        return PostgresStore(url)
    raise ConfigurationError(
        f"store URL {url!r} is not supported; use sqlite:///path/to/file.db "
        "or postgresql://user@host/db (with the [postgres] extra installed)"
    )
