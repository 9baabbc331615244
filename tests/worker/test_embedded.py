"""The worker inside a web process: runners started fresh (the process has other threads),
and one supervisor per host however many web processes start one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.processes import REPO, process_alive, wait_for

WEB_PROCESS = """
import json, sys, threading, time
from tests.apps.sample_app import app
threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()  # a server's thread
worker = app.start_worker(concurrency=2, poll_interval="0.1s", heartbeat="0.5s", lease="2s")
print("started", flush=True)
for line in sys.stdin:
    command = line.strip()
    if command == "enqueue":
        jobs = [app.tasks["add"].enqueue(n, n) for n in range(5)]
        print(json.dumps([job.wait(timeout=60) for job in jobs]), flush=True)
    elif command == "supervising":
        print(json.dumps(worker.supervising), flush=True)
    elif command == "stop":
        worker.stop()
        print("stopped", flush=True)
        break
"""


class WebProcess:
    def __init__(self, tmp_path: Path) -> None:
        self.log = tmp_path / "web.log"
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "TMPDIR": str(tmp_path),
            "CARGOHOLD_STORE": f"sqlite:///{tmp_path / 'embedded.db'}",
        }
        self.popen = subprocess.Popen(
            [sys.executable, "-c", WEB_PROCESS],
            env=env,
            cwd=REPO,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("ab"),
        )
        assert self.ask(None) == "started"

    def ask(self, command: str | None) -> str:
        assert self.popen.stdin is not None and self.popen.stdout is not None
        if command is not None:
            self.popen.stdin.write(command + "\n")
            self.popen.stdin.flush()
        return self.popen.stdout.readline().strip()

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(10)


def test_a_web_process_runs_jobs_in_its_own_worker(tmp_path: Path) -> None:
    web = WebProcess(tmp_path)
    try:
        assert json.loads(web.ask("enqueue")) == [0, 2, 4, 6, 8]
        assert json.loads(web.ask("supervising")) is True
        assert web.ask("stop") == "stopped"
    finally:
        web.close()


def test_of_two_web_processes_one_supervises_and_the_other_takes_over(tmp_path: Path) -> None:
    from cargohold import App

    first, second = WebProcess(tmp_path), WebProcess(tmp_path)
    store = App(f"sqlite:///{tmp_path / 'embedded.db'}").store
    try:
        wait_for(lambda: len(store.list_workers()) == 1, 20, "no supervisor started")
        time.sleep(1.0)  # give a second one the chance to (wrongly) start
        assert len(store.list_workers()) == 1
        supervising = [json.loads(p.ask("supervising")) for p in (first, second)]
        assert sorted(supervising) == [False, True]
        leader, follower = (first, second) if supervising[0] else (second, first)
        assert json.loads(follower.ask("enqueue")) == [0, 2, 4, 6, 8]  # it only enqueues

        leader.popen.send_signal(signal.SIGKILL)
        leader.popen.wait(10)
        wait_for(
            lambda: json.loads(follower.ask("supervising")),
            30,
            "the other web process did not take over",
        )
        assert json.loads(follower.ask("enqueue")) == [0, 2, 4, 6, 8]
    finally:
        for process in (first, second):
            process.close()
        assert not any(
            process_alive(w.pid)
            for w in store.list_workers()
            if w.pid not in (first.popen.pid, second.popen.pid)
        )
