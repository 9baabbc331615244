"""Regenerate docs/images/dashboard-overview.png and dashboard-job.png:
`python -m tests.web.make_screenshots` (needs /usr/bin/chromium and playwright)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from cargohold import JobState
from tests.apps.web_app import build_app
from tests.processes import REPO, Workers, wait_for
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.conftest import ADMIN_TOKEN
from tests.web.servers import WebServer, web_env


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
            for n in range(6):
                app.tasks["render"].enqueue(3, 0.1)
                app.tasks["echo"].options(queue="mail").enqueue(f"receipt {n}")
            for n in range(3):
                app.tasks["explode"].enqueue(f"image API quota exceeded for order {n}")
            app.tasks["explode"].enqueue("PDF renderer crashed: font not found")
            workers.start("tests.apps.web_app:app", "--concurrency", "2", "--poll-interval", "0.1s")
            wait_for(
                lambda: all(
                    c[JobState.QUEUED] == 0 and c[JobState.RUNNING] == 0
                    for c in app.store.count_jobs().values()
                ),
                60,
                "jobs did not finish",
            )
            live = app.tasks["render"].enqueue(12, 1.0)
            app.tasks["render"].options(delay="10m").enqueue(12)
            server.wait_ready()
            wait_for(lambda: live.refresh().progress is not None, 30, "no progress")
            time.sleep(3)  # a few pages into the book, for the picture
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
                page.screenshot(path=str(out / "dashboard-overview.png"), full_page=True)
                page.goto(f"/dashboard/jobs/{live.id}")
                time.sleep(1.5)
                page.screenshot(path=str(out / "dashboard-job.png"), full_page=True)
                browser.close()
        finally:
            server.stop()
            workers.stop_all()
            app.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "images")
