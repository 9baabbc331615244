"""A task that takes a known time, for the queue position and ETA acceptance test."""

from __future__ import annotations

import time

from cargohold import App


def build_app(store: str | None = None) -> App:
    app = App(store)

    @app.task(retries=0)
    def nap(seconds: float) -> None:
        time.sleep(seconds)

    return app


app = build_app()
