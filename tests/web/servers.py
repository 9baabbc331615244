"""A real `cargohold serve` process on 127.0.0.1 and a free port, stopped by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.processes import REPO, wait_for
from tests.web.conftest import ADMIN_TOKEN, READ_TOKEN, SECRET

APP_REF = "tests.apps.web_app:app"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def web_env(store_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "CARGOHOLD_STORE": store_url,
        "CARGOHOLD_WEB_TOKENS": READ_TOKEN,
        "CARGOHOLD_WEB_ADMIN_TOKENS": ADMIN_TOKEN,
        "CARGOHOLD_WEB_SECRET": SECRET,
        "CARGOHOLD_WEB_STREAM_INTERVAL": "0.2s",
        "PYTHONPATH": str(REPO),
    }


class WebServer:
    def __init__(self, env: dict[str, str], log: Path, *args: str, app_ref: str = APP_REF) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("ab") as output:
            self.popen = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cargohold",
                    "serve",
                    app_ref,
                    "--port",
                    str(self.port),
                    *args,
                ],
                env=env,
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def healthy(self) -> bool:
        if self.popen.poll() is not None:
            raise AssertionError(f"the server exited: {self.log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as reply:
                return bool(reply.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def wait_ready(self) -> WebServer:
        wait_for(self.healthy, 30, "the web server did not answer /health")
        return self

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
