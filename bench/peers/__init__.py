"""The systems measured, by id. Each adapter is one module in this package that runs inside
its system's own interpreter (the repo's virtualenv for cargohold, bench/.peers-venv for the
peers); this registry only names them, so the harness can read it without importing any."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Service = Literal["sqlite", "redis", "postgres"]


@dataclass(frozen=True, slots=True)
class Peer:
    id: str
    module: str
    """Adapter module under bench.peers."""
    service: Service
    in_repo_venv: bool
    """True for cargohold (the repo's installed package), False for peers (bench/.peers-venv)."""
    workers: str
    """The worker setting used, for the report."""
    distribution: str
    """The PyPI distribution whose version the report shows."""
    burst_workers: str | None = None
    """The worker's own default settings, with which it runs the memory burst, for the report;
    None for a system the burst does not run."""
    processes_on_demand: bool = False
    """Its worker starts its processes when there is work for them; its adapter defines a
    `hold(seconds)` task of small, declared memory, whose jobs held together start them."""

    @property
    def is_cargohold(self) -> bool:
        return self.id.startswith("cargohold")


CARGOHOLD_WORKERS = "supervisor + 2 runner processes"
PEERS: tuple[Peer, ...] = (
    Peer(
        "cargohold-sqlite",
        "cargohold_peer",
        "sqlite",
        True,
        CARGOHOLD_WORKERS,
        "cargohold",
        burst_workers="defaults: runners admitted by memory, a cgroup per runner",
        processes_on_demand=True,
    ),
    Peer(
        "cargohold-postgres",
        "cargohold_peer",
        "postgres",
        True,
        CARGOHOLD_WORKERS,
        "cargohold",
        processes_on_demand=True,
    ),
    Peer("huey-sqlite", "huey_peer", "sqlite", False, "2 worker processes", "huey"),
    Peer("huey-redis", "huey_peer", "redis", False, "2 worker processes", "huey"),
    Peer("huey-pg", "huey_peer", "postgres", False, "2 worker processes", "huey"),
    Peer(
        "rq",
        "rq_peer",
        "redis",
        False,
        "worker-pool of 2 (fork per job)",
        "rq",
        burst_workers="`rq worker`: 1 worker, a work horse forked per job",
    ),
    Peer(
        "dramatiq-redis",
        "dramatiq_peer",
        "redis",
        False,
        "2 processes x 8 threads",
        "dramatiq",
        burst_workers="one process per CPU x 8 threads",
    ),
    Peer(
        "celery-redis",
        "celery_peer",
        "redis",
        False,
        "prefork, concurrency 2",
        "celery",
        burst_workers="prefork, concurrency = number of CPUs",
    ),
    Peer(
        "procrastinate",
        "procrastinate_peer",
        "postgres",
        False,
        "1 asyncio process, concurrency 8",
        "procrastinate",
    ),
    Peer("pgqueuer", "pgqueuer_peer", "postgres", False, "1 asyncio process, batch 10", "pgqueuer"),
)

BY_ID = {peer.id: peer for peer in PEERS}

PEER_REQUIREMENTS = (
    "huey",
    "peewee",
    "psycopg2-binary",  # huey-pg: huey's SqlStorage goes through peewee, which uses psycopg2
    "rq",
    "dramatiq[redis]",
    "celery[redis]",
    "procrastinate",
    "pgqueuer",
    "asyncpg",  # pgqueuer's documented driver
    "psycopg[binary]",
    "redis",
)
"""What bench/.peers-venv gets from PyPI (benchmark dependencies only, never cargohold's)."""
