"""Finding the user's `App` (kept here for the CLI; the logic lives in the core)."""

from cargohold.loading import load_app

__all__ = ["load_app"]
