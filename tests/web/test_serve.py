"""`cargohold serve`: a real uvicorn process, on the loopback address unless told otherwise."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.processes import REPO
from tests.web.conftest import ADMIN_TOKEN
from tests.web.servers import APP_REF, WebServer, web_env


def test_serve_refuses_to_start_without_any_token(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in web_env(f"sqlite:///{tmp_path / 'jobs.db'}").items()
        if not k.startswith("CARGOHOLD_WEB_")
    }
    done = subprocess.run(
        [sys.executable, "-m", "cargohold", "serve", APP_REF],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "no token is configured" in done.stderr
    assert "CARGOHOLD_WEB_ADMIN_TOKENS" in done.stderr


def test_serve_answers_on_the_loopback_address(tmp_path: Path) -> None:
    server = WebServer(web_env(f"sqlite:///{tmp_path / 'jobs.db'}"), tmp_path / "web.log")
    try:
        server.wait_ready()
        request = urllib.request.Request(
            f"{server.url}/jobs",
            data=json.dumps({"task": "echo", "args": ["hello"]}).encode(),
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert reply.status == 201
            assert json.load(reply)["task"] == "echo"
        listening = Path(f"/proc/{server.popen.pid}/net/tcp").read_text()
        assert f"0100007F:{server.port:04X}" in listening  # 127.0.0.1, not 0.0.0.0
    finally:
        server.stop()
    assert server.popen.poll() is not None
