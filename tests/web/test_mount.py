"""Mounted inside another Starlette app, under a prefix: links, cookies and redirects follow."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from cargohold import App
from cargohold.web import CargoholdWeb
from tests.web.conftest import ADMIN, ADMIN_TOKEN


def test_mounted_under_a_prefix(web: CargoholdWeb, app: App) -> None:
    outer = Starlette(routes=[Mount("/queue", app=web)])
    job = app.tasks["echo"].enqueue("x")
    with TestClient(outer) as client:
        created = client.post("/queue/jobs", json={"task": "echo", "args": ["y"]}, headers=ADMIN)
        assert created.headers["location"].startswith("/queue/jobs/")
        assert client.get(created.json()["status_url"]).status_code == 200
        signed_in = client.post(
            "/queue/dashboard/login", data={"token": ADMIN_TOKEN}, follow_redirects=False
        )
        assert signed_in.headers["location"] == "/queue/dashboard"
        assert "Path=/queue/" in signed_in.headers["set-cookie"]
        page = client.get(f"/queue/dashboard/jobs/{job.id}").text
        assert 'href="/queue/dashboard/static/dashboard.css"' in page
        assert f'data-stream="/queue/jobs/{job.id}/stream"' in page
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert csrf is not None
        cancelled = client.post(
            f"/queue/dashboard/jobs/{job.id}/cancel",
            data={"csrf": csrf.group(1), "next": f"/queue/dashboard/jobs/{job.id}"},
            follow_redirects=False,
        )
        assert cancelled.status_code == 303, cancelled.text
        assert cancelled.headers["location"] == f"/queue/dashboard/jobs/{job.id}"
        assert client.get("/queue/dashboard/static/dashboard.js").status_code == 200
