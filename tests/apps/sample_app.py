"""Tasks for the worker tests: each misbehaves in one way."""

from __future__ import annotations

import os
import signal
import time

from cargohold import App, Cancel, Fail, Retry, Snooze, current_job


def build_app(store: str | None = None) -> App:
    app = App(store)

    @app.task(retries=0)
    def add(a: int, b: int) -> int:
        return a + b

    @app.task(retries=3, backoff="0.05s")
    def flaky(fail_times: int) -> str:
        job = current_job()
        if job.attempt <= fail_times:
            raise ConnectionError(f"attempt {job.attempt} failed")
        return f"ok on attempt {job.attempt}"

    @app.task(retries=0, timeout="0.5s")
    def sleepy(seconds: float) -> None:
        time.sleep(seconds)

    @app.task(retries=1, backoff="0.05s")
    def crash() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    @app.task(retries=10, backoff="0.01s")
    def always_crash() -> None:
        os._exit(3)

    @app.task(retries=0)
    def steps(count: int, pause: float) -> int:
        for n in range(count):
            current_job().progress(n + 1, count, f"step {n + 1} of {count}")
            time.sleep(pause)
        return count

    @app.task(retries=5)
    def signals(kind: str, marker: str = "") -> None:
        job = current_job()
        if kind == "retry" and job.attempt == 1:
            raise Retry("not yet", delay=0.05)
        if kind == "snooze" and not os.path.exists(marker):
            open(marker, "w").close()
            raise Snooze(0.05)
        if kind == "cancel":
            raise Cancel("nothing to do")
        if kind == "fail":
            raise Fail("the order no longer exists")

    @app.task(retries=0)
    def returns_object() -> object:
        return object()

    @app.task(retries=0)
    async def async_add(a: int, b: int) -> int:
        return a + b

    return app


app = build_app()
