"""A producer SIGKILLed at a random point of a transaction that inserts a business row and
enqueues its job (`connection=`): afterwards every order has its job and every job its order.

The producer is a forked child of the test, so that a kill costs milliseconds, not a Python
start-up: it writes orders in a loop, each in its own transaction (one in ten rolled back on
purpose), and reports on a pipe when a transaction begins and ends, so the test knows where
each kill landed. Short form in CI; `-m chaos` kills 1,000 times per store.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import pytest

from cargohold import App
from cargohold.records import JobFilter

ORDERS = "CREATE TABLE orders (id TEXT PRIMARY KEY, placed_at REAL NOT NULL)"
PLACE = {
    "sqlite": "INSERT INTO orders VALUES (?, ?)",
    "postgresql": "INSERT INTO orders VALUES (%s, %s)",
}


def place(connection: Any, url: str, order: str) -> None:
    connection.execute(PLACE[url.split(":", 1)[0]], (order, time.time()))


def build_app(url: str) -> App:
    app = App(url)

    @app.task(queue="orders")
    def fulfil(order_id: str) -> str:
        return order_id

    return app


def connect(url: str) -> Any:
    """The producer's own connection: a transaction begins with its first statement."""
    if url.startswith("sqlite"):
        return sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level="IMMEDIATE")
    import psycopg

    return psycopg.connect(url)


def produce(app: App, url: str, report: int, seed: int) -> None:
    """Place orders until killed: INSERT the order, enqueue its job, commit (or roll back)."""
    rng = random.Random(seed)
    fulfil = app.tasks["fulfil"]
    connection = connect(url)
    for number in range(1_000_000):
        order = f"{os.getpid()}-{number}"
        os.write(report, b"b")
        place(connection, url, order)
        time.sleep(rng.random() * 0.002)
        fulfil.enqueue(order, key=f"order:{order}", connection=connection)
        time.sleep(rng.random() * 0.002)
        if rng.random() < 0.1:
            connection.rollback()
            os.write(report, b"r")
        else:
            connection.commit()
            os.write(report, b"c")


def kill_producers(url: str, kills: int, seed: int = 0) -> dict[str, Any]:
    app = build_app(url)
    app.store  # noqa: B018 - create and migrate the store, as a deployed app finds it
    with connect(url) as setup:
        setup.execute(ORDERS)
        setup.commit()
    # A first order from the parent: the store checks the producer's database once, here.
    warm = connect(url)
    place(warm, url, "warm")
    app.tasks["fulfil"].enqueue("warm", key="order:warm", connection=warm)
    warm.commit()
    warm.close()
    rng = random.Random(seed)
    landed = {"in_transaction": 0, "between": 0, "before_first": 0}
    for kill in range(kills):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the producer
            code = 0
            try:
                os.close(read_end)
                produce(app, url, write_end, seed=kill)
            except BaseException:
                code = 1
            os._exit(code)
        os.close(write_end)
        time.sleep(rng.uniform(0.002, 0.04))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        marks = _read_all(read_end)
        assert os.WIFSIGNALED(status), f"the producer ended by itself: {marks[-200:]!r}"
        if not marks:
            landed["before_first"] += 1
        elif marks.endswith(b"b"):
            landed["in_transaction"] += 1
        else:
            landed["between"] += 1
    result = check_orphans(app, url)
    app.close()
    return {"kills": kills, "landed": landed, **result}


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def check_orphans(app: App, url: str) -> dict[str, int]:
    with connect(url) as connection:
        orders = {row[0] for row in connection.execute("SELECT id FROM orders").fetchall()}
    keys = [job.key for job in app.store.find_jobs(JobFilter(queues=("orders",), limit=10**7))]
    jobs = {key.removeprefix("order:") for key in keys if key}
    return {
        "orders": len(orders),
        "jobs": len(keys),
        "orders_without_job": len(orders - jobs),
        "jobs_without_order": len(jobs - orders),
    }


def run(new_store_url: Callable[[], str], kills: int) -> None:
    url = new_store_url()
    report = kill_producers(url, kills)
    print(f"producer kills ({url.split(':', 1)[0]}):", json.dumps(report))
    assert report["orders_without_job"] == 0 and report["jobs_without_order"] == 0, report
    assert report["jobs"] == report["orders"], report
    # The test means something only if kills landed inside transactions.
    assert report["landed"]["in_transaction"] >= kills // 3, report


def test_producer_killed_mid_transaction_leaves_no_orphans(
    new_store_url: Callable[[], str],
) -> None:
    run(new_store_url, kills=100)


@pytest.mark.chaos
def test_producer_killed_mid_transaction_leaves_no_orphans_full(
    new_store_url: Callable[[], str],
) -> None:
    run(new_store_url, kills=1000)
