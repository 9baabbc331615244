"""The machine's floors for the idle path, which the benchmark report sets beside the idle
latencies: the bare PostgreSQL hand-off (INSERT with NOTIFY, heard by a listening process,
passed over a pipe to another process)."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
from bench.harness import machine


def test_the_postgres_hand_off_is_timed_and_leaves_nothing_behind(
    empty_postgres_url: str, tmp_path: Path
) -> None:
    floors = machine.floors(tmp_path, empty_postgres_url, samples=5)

    # The hand-off includes a durable commit, so it takes longer than a bare round trip
    hand_off, round_trip = floors["postgres_hand_off_ms"], floors["postgres_idle_round_trip_ms"]
    assert hand_off is not None and round_trip is not None, floors
    assert hand_off > round_trip > 0

    # Its table is dropped, and its listening process is gone (its session ends with it)
    with psycopg.connect(empty_postgres_url, autocommit=True) as connection:
        tables = connection.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'bench_hand_off%'"
        ).fetchall()
        assert tables == []
        listening = (
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN bench_hand_off%'"
        )
        deadline = time.monotonic() + 10
        while connection.execute(listening).fetchone() != (0,) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert connection.execute(listening).fetchone() == (0,)
    assert list(tmp_path.iterdir()) == []


def test_without_a_reachable_server_the_postgres_floors_are_left_out(tmp_path: Path) -> None:
    floors = machine.floors(tmp_path, "postgresql://nobody@127.0.0.1:1/none", samples=2)

    assert floors["postgres_hand_off_ms"] is None
    assert floors["postgres_idle_round_trip_ms"] is None
    assert floors["disk_flush_ms"] > 0
