"""The dashboard in a real headless Chromium, against a real `cargohold serve` process and,
where jobs must run, a real worker process, all on one SQLite file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cargohold import App, JobState
from tests.processes import Workers, wait_for
from tests.web.browser import browser  # noqa: F401 - the fixture
from tests.web.conftest import ADMIN_TOKEN, Finish
from tests.web.servers import WebServer, web_env

SCRIPT_ARG = "<img src=x onerror=window.__pwned=1>"


def until(page: Any, expression: str, timeout: float = 60.0) -> None:
    """Poll a JavaScript expression from here: the page's CSP forbids Playwright's in-page
    eval, which is what wait_for_function would use."""
    from playwright.sync_api import Error

    def holds() -> bool:
        try:
            return bool(page.evaluate(expression))
        except Error as error:  # the page reloaded itself meanwhile: ask again
            if "context was destroyed" not in str(error):
                raise
            return False

    wait_for(holds, timeout, f"never true: {expression}", 0.1)


@pytest.fixture
def server(app: App, tmp_path: Path) -> Iterator[WebServer]:
    started = WebServer(web_env(app.settings.store), tmp_path / "web.log")
    try:
        yield started.wait_ready()
    finally:
        started.stop()


@pytest.fixture
def page(browser: Any, server: WebServer) -> Iterator[Any]:  # noqa: F811
    """A signed-in admin tab; fails the test if the page logs an error (a CSP violation)."""
    context = browser.new_context(base_url=server.url)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    tab.goto("/dashboard/login")
    tab.fill("#token", ADMIN_TOKEN)
    tab.click("button[type=submit]")
    tab.wait_for_url("**/dashboard")
    yield tab
    context.close()
    assert errors == []


def test_overview_shows_real_counts_and_a_chart(page: Any, app: App, finish: Finish) -> None:
    failed = [app.tasks["explode"].enqueue("printer on fire") for _ in range(2)]
    done = [app.tasks["echo"].enqueue(str(n)) for n in range(3)]
    finish(*failed, *done)
    app.tasks["echo"].options(delay="1h").enqueue("later")
    page.goto("/dashboard")
    assert page.text_content("[data-state=succeeded]") == "3"
    assert page.text_content("[data-state=failed]") == "2"
    assert page.text_content("[data-state=scheduled]") == "1"
    heights = page.eval_on_selector_all(
        "svg.chart rect.bar-ok", "bars => bars.map(b => Number(b.getAttribute('height')))"
    )
    assert sum(heights) > 0
    assert "printer on fire" in page.text_content("ul.failures")


def test_a_running_jobs_progress_bar_advances_live(page: Any, app: App, tmp_path: Path) -> None:
    workers = Workers(tmp_path)
    workers.env["CARGOHOLD_STORE"] = app.settings.store
    try:
        workers.start("tests.apps.web_app:app", "--concurrency", "1", "--poll-interval", "0.1s")
        job = app.tasks["render"].enqueue(40, 0.25)
        page.goto(f"/dashboard/jobs/{job.id}")
        page.evaluate("window.__sameDocument = true")
        until(page, "document.getElementById('progress').value >= 2")
        seen = page.evaluate("document.getElementById('progress').value")
        until(page, f"document.getElementById('progress').value > {seen}")
        assert page.evaluate("window.__sameDocument") is True  # updated live, not reloaded
        assert page.text_content("#state") == "running"
        assert "page" in page.text_content("#progress-text")
        # When the job ends, the page reloads itself to show the result.
        until(page, "document.getElementById('state').textContent === 'succeeded'")
        page.wait_for_selector("#result")
        assert "/books/40.pdf" in page.text_content("#result")
    finally:
        workers.stop_all()


def test_the_retry_button_queues_a_failed_job_again(page: Any, app: App, finish: Finish) -> None:
    job = app.tasks["explode"].enqueue("out of paper")
    finish(job)
    page.goto(f"/dashboard/jobs/{job.id}")
    assert page.text_content("#state") == "failed"
    assert "out of paper" in page.text_content("#error")
    page.click("button:has-text('Retry')")
    until(page, "document.getElementById('state').textContent === 'queued'")
    assert job.refresh().state == JobState.QUEUED
    assert page.locator("button:has-text('Retry')").count() == 0


def test_script_in_job_arguments_is_shown_as_text_and_never_runs(page: Any, app: App) -> None:
    job = app.tasks["echo"].enqueue(SCRIPT_ARG)
    for path in (f"/dashboard/jobs/{job.id}", "/dashboard/jobs"):
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.locator("main img").count() == 0
        assert page.evaluate("window.__pwned") is None
    page.goto(f"/dashboard/jobs/{job.id}")
    assert SCRIPT_ARG in page.text_content("#args")


def test_bulk_retry_from_the_jobs_page(page: Any, app: App, finish: Finish) -> None:
    jobs = [app.tasks["explode"].enqueue(f"bad {n}") for n in range(3)]
    finish(*jobs)
    page.goto("/dashboard/jobs?state=failed")
    page.check("#select-all")
    page.click("button[value=retry]")
    page.wait_for_url("**/dashboard/jobs?state=failed")
    wait_for(
        lambda: all(j.refresh().state == JobState.QUEUED for j in jobs), 10, "jobs not retried"
    )
    assert page.locator("input[name=ids]").count() == 0


def test_the_delete_button_removes_a_finished_job(page: Any, app: App, finish: Finish) -> None:
    job = app.tasks["explode"].enqueue("wrong order")
    finish(job)
    page.goto(f"/dashboard/jobs/{job.id}")
    page.click("button:has-text('Delete')")
    page.wait_for_url("**/dashboard/jobs")
    assert app.store.get_job(job.id) is None
    assert job.id not in page.text_content("main")


def test_another_site_can_frame_the_status_widget(
    browser: Any,  # noqa: F811
    server: WebServer,
    app: App,
) -> None:
    """A shop's page on another origin (its own server, on another port) frames the widget
    of a job waiting behind another: the browser shows it."""
    app.tasks["echo"].enqueue("ahead")
    job = app.tasks["echo"].enqueue("mine")
    page = f'<iframe id="status" src="{server.url}/jobs/{job.id}/widget"></iframe>'.encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    shop = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        tab.goto(f"http://127.0.0.1:{shop.server_address[1]}/order")
        frame = tab.frame_locator("#status")
        assert frame.locator("#headline").text_content() == "You are number 2"
        assert "no worker" in (frame.locator("#detail").text_content() or "")
    finally:
        context.close()
        shop.shutdown()
        shop.server_close()
