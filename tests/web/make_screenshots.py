"""Regenerate docs/images/dashboard-overview.png and dashboard-job.png:
`python -m tests.web.make_screenshots` (needs /usr/bin/chromium and playwright).

A real worker of two runners first runs a mix of jobs, so the time a book takes is known.
Then it takes two of four books while the other two wait: the overview shows them, and the
job page shows the last in line, with its position, ETA, why it waits and its buttons."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cargohold import App, Job, JobState
from tests.apps.web_app import build_app
from tests.processes import REPO, Workers, wait_for
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.conftest import ADMIN_TOKEN
from tests.web.servers import WebServer, web_env

BOOK = (8, 0.75)
"""Pages and seconds per page of each book: 6s a book, long enough for the pictures."""


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        app = build_app(f"sqlite:///{tmp / 'jobs.db'}")
        workers = Workers(tmp)
        workers.env["CARGOHOLD_STORE"] = app.settings.store
        server = WebServer(web_env(app.settings.store), tmp / "web.log")
        try:
            workers.start("tests.apps.web_app:app", "--concurrency", "2", "--poll-interval", "0.1s")
            run_history(app)
            server.wait_ready()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                page = browser.new_page(
                    base_url=server.url, viewport={"width": 1200, "height": 820}
                )
                page.goto("/dashboard/login")
                page.fill("#token", ADMIN_TOKEN)
                page.click("button[type=submit]")
                page.wait_for_url("**/dashboard")
                last = start_books(app)
                page.goto("/dashboard")
                page.screenshot(path=str(out / "dashboard-overview.png"), full_page=True)
                page.goto(f"/dashboard/jobs/{last.id}")
                page.wait_for_selector("#eta")
                page.screenshot(path=str(out / "dashboard-job.png"), full_page=True)
                browser.close()
            assert last.refresh().state == JobState.QUEUED, "the last book ran before its picture"
        finally:
            server.stop()
            workers.stop_all()
            app.close()


def run_history(app: App) -> None:
    """Books, receipts and failures, run to the end: the throughput chart, the failures and
    the durations the ETA is made of."""
    for n in range(4):
        app.tasks["render"].enqueue(*BOOK)
        app.tasks["echo"].options(queue="mail").enqueue(f"receipt {n}")
    for n in range(3):
        app.tasks["explode"].enqueue(f"image API quota exceeded for order {n}")
    app.tasks["explode"].enqueue("PDF renderer crashed: font not found")
    wait_for(
        lambda: all(
            c[JobState.QUEUED] == 0 and c[JobState.RUNNING] == 0
            for c in app.store.count_jobs().values()
        ),
        120,
        "jobs did not finish",
    )


def start_books(app: App) -> Job[Any]:
    """Four books, two running a few pages in, and one for later; the last in line."""
    books = [app.tasks["render"].enqueue(*BOOK) for _ in range(4)]
    app.tasks["render"].options(delay="10m").enqueue(*BOOK)
    wait_for(lambda: all(b.refresh().progress for b in books[:2]), 30, "no progress")
    time.sleep(1.5)  # a few pages into the books, for the picture
    return books[-1]


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "images")
