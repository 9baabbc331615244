"""Tasks for the web tests: one that reports progress step by step, one that fails, one
that returns a result with a public part."""

from __future__ import annotations

import time

from cargohold import App, current_job


def build_app(store: str | None = None) -> App:
    app = App(store)

    @app.task(retries=0)
    def render(pages: int, pause: float = 0.0) -> dict[str, object]:
        for page in range(1, pages + 1):
            time.sleep(pause)
            current_job().progress(page, pages, f"page {page} of {pages}")
        return {"public": {"pdf": f"/books/{pages}.pdf"}, "internal": "s3://private/bucket"}

    @app.task(retries=0)
    def explode(message: str) -> None:
        raise ValueError(message)

    @app.task(retries=0)
    def echo(text: str) -> str:
        return text

    return app


app = build_app()
