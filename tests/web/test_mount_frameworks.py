"""docs/mounting.md, run for real: each framework's project is written out from the page's
code blocks, served by a real server process (uvicorn, Flask's, Werkzeug's WSGI server), and
asked over HTTP to enqueue a job that a real worker process runs; the customer's status link,
the widget and the admin API are then read through the mount."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.processes import REPO, wait_for
from tests.web.conftest import ADMIN_TOKEN, SECRET
from tests.web.servers import free_port

pytest.importorskip("fastapi", reason="the mounting examples need the [test] extra")
pytest.importorskip("flask", reason="the mounting examples need the [test] extra")
pytest.importorskip("django", reason="the mounting examples need the [test] extra")
pytest.importorskip("a2wsgi", reason="the mounting examples need the [test] extra")

DOC = REPO / "docs" / "mounting.md"
BLOCK = re.compile(r"^```python\n# (\S+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
DJANGO_SETTINGS = """\
SECRET_KEY = "only-for-this-test"
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "mysite.urls"
INSTALLED_APPS: list[str] = []
"""
DJANGO = ["shop/views.py", "mysite/urls.py"]
CASES: dict[str, tuple[list[str], list[str]]] = {
    "fastapi": (["main.py"], ["-m", "uvicorn", "main:api", "--port", "{port}"]),
    "flask": (["shop.py"], ["-m", "flask", "--app", "shop", "run", "--port", "{port}"]),
    "django-asgi": (
        [*DJANGO, "mysite/asgi.py"],
        ["-m", "uvicorn", "mysite.asgi:application", "--port", "{port}"],
    ),
    "django-wsgi": (
        [*DJANGO, "mysite/wsgi.py"],
        [
            "-c",
            "from werkzeug.serving import run_simple; from mysite.wsgi import application; "
            "run_simple('127.0.0.1', {port}, application, threaded=True)",
        ],
    ),
}


def doc_files() -> dict[str, str]:
    """The page's code blocks that begin with a file name, by that name."""
    return {name: body for name, body in BLOCK.findall(DOC.read_text())}


def write_project(folder: Path, names: list[str]) -> None:
    files = doc_files()
    for name in ["myapp.py", *names]:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[name])
        (path.parent / "__init__.py").touch()
    if any(name.startswith("mysite/") for name in names):
        (folder / "mysite" / "settings.py").write_text(DJANGO_SETTINGS)
    (folder / "__init__.py").unlink(missing_ok=True)


def request(url: str, method: str = "GET", token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    call = urllib.request.Request(
        url, method=method, headers=headers, data=b"" if method == "POST" else None
    )
    try:
        with urllib.request.urlopen(call, timeout=10) as reply:
            body = reply.read().decode()
            status = reply.status
    except urllib.error.HTTPError as error:
        body, status = error.read().decode(), error.code
    with contextlib.suppress(ValueError):
        return status, json.loads(body)
    return status, body


def answers(url: str) -> bool:
    try:
        return request(url)[0] == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def test_the_docs_name_every_file_the_test_writes() -> None:
    files = doc_files()
    needed = {"myapp.py"} | {name for names, _ in CASES.values() for name in names}
    assert needed <= set(files), sorted(needed - set(files))


@pytest.mark.parametrize("case", list(CASES))
def test_mounted_as_the_docs_say(case: str, tmp_path: Path) -> None:
    names, command = CASES[case]
    write_project(tmp_path, names)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGOHOLD_")}
    env.update(
        PYTHONPATH=str(tmp_path),
        CARGOHOLD_WEB_ADMIN_TOKENS=ADMIN_TOKEN,
        CARGOHOLD_WEB_SECRET=SECRET,
    )
    started: list[subprocess.Popen[bytes]] = []
    log = tmp_path / "processes.log"
    try:
        with log.open("ab") as output:
            for args in (
                ["-m", "cargohold", "worker", "myapp:app", "--poll-interval", "0.2s"],
                [part.format(port=port) for part in command],
            ):
                started.append(
                    subprocess.Popen(
                        [sys.executable, *args],
                        cwd=tmp_path,
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
        site = f"http://127.0.0.1:{port}"
        wait_for(lambda: answers(f"{site}/queue/health"), 60, f"{case} never answered")
        # When: the app's own route enqueues a job and hands back its status link.
        status, ordered = request(f"{site}/orders/42/book", "POST")
        assert status == 200, ordered
        link = f"{site}{ordered['status']}"
        assert ordered["status"].startswith("/queue/jobs/")

        # Then: the customer follows the job through the mount until the worker is done...
        def done() -> bool:
            return bool(request(link)[1]["state"] == "succeeded")

        wait_for(done, 60, f"the job never succeeded: {log.read_text(errors='replace')}")
        assert request(link)[1]["result"] == {"pdf": "/books/42.pdf"}
        widget = request(link.replace("/status?", "/widget?"))[1]
        assert 'id="headline">Done<' in widget
        # ...and the admin API answers under the prefix, to an admin token only.
        assert request(f"{site}/queue/jobs", token=ADMIN_TOKEN)[0] == 200
        assert request(f"{site}/queue/jobs")[0] == 401
    finally:
        for process in started:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
