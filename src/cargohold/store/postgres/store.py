"""The PostgreSQL store, for workers on several hosts: claims with FOR UPDATE SKIP LOCKED,
wake-ups with LISTEN/NOTIFY, leases on the database clock. Every verb is one short transaction;
none stays open while a job runs.

`PostgresStore` opens the pool, migrates the schema, and holds the verbs of producing and of
the worker's hot path, each a few lines around a module that does the work:

- `database`: the pool, transactions, safe retries, the database clock
- `producing`: enqueue, in the store's transaction or the caller's
- `hotpath`: claim and ack inside one transaction
- `rows`: outcomes to statement parameters, rows to claims, workers and task stats
- `copying`: `cargohold copy`

The other verbs live in classes mixed into it, one module per concept:

- `admin`: cancel, retry, delete, prune
- `reading`: one job, a page of jobs, events, counts, metrics, task stats
- `workers`: the workers registry
- `flow`: concurrency limits, rates, queue depth, pause and resume
- `line`: a waiting job's position and what is ahead of it
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence

from cargohold.errors import SchemaError
from cargohold.memory.admission import RUNNER_OVERHEAD, MemoryOffer
from cargohold.records import (
    Ack,
    Claim,
    Enqueued,
    HeartbeatReply,
    MemoryReport,
    NewJob,
    ProgressUpdate,
    RescueReport,
)
from cargohold.store.copying import CopyPage, export_pages
from cargohold.store.flow import capacities_json
from cargohold.store.handing import offer_params
from cargohold.store.postgres import copying, hotpath, producing, rows
from cargohold.store.postgres.admin import PostgresAdmin
from cargohold.store.postgres.database import PACKAGE, Database, Tx
from cargohold.store.postgres.flow import PostgresFlow
from cargohold.store.postgres.hotpath import ClaimRequest, offer_lease_token
from cargohold.store.postgres.line import PostgresLine
from cargohold.store.postgres.reading import PostgresReading
from cargohold.store.postgres.wakeup import ListenWakeup, handed_channel
from cargohold.store.postgres.workers import PostgresWorkers, touch_params
from cargohold.store.sqlfiles import migrations


class PostgresStore(PostgresAdmin, PostgresReading, PostgresWorkers, PostgresFlow, PostgresLine):
    concurrent_writes = True

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8) -> None:
        self._database = Database(url, min_size=min_size, max_size=max_size)
        self._claiming: Database | None = None
        self._claiming_opened = threading.Lock()
        self.url = self._database.shown_url
        self._joined = producing.JoinedTransactions(self._database)
        self._lookout = producing.OfferLookout()
        self.migrate()

    def now(self) -> float:
        return self._database.now()

    def close(self) -> None:
        self._database.close()
        if self._claiming is not None:
            self._claiming.close()

    def wakeup(self, worker_id: str | None = None) -> ListenWakeup:
        return ListenWakeup(self._database.connect, worker_id)

    # -- schema ------------------------------------------------------------------------------

    def migrate(self) -> int:
        known = migrations(PACKAGE)

        def work(tx: Tx) -> int:
            tx.rows("migrate_lock")  # concurrent migrate() calls take turns
            tx.run("migrate_table")
            done = {row["version"] for row in tx.rows("migrate_applied")}
            newest = max(version for version, _, _ in known)
            if done and max(done) > newest:
                raise SchemaError(
                    f"PostgreSQL store {self.url}: the schema is at version {max(done)}, newer "
                    f"than this cargohold knows ({newest}); upgrade cargohold"
                )
            applied = 0
            for version, name, script in known:
                if version not in done:
                    tx.script(script)
                    tx.run("migrate_record", {"version": version, "name": name})
                    applied += 1
            return applied

        return self._database.transaction(work, what="migrate")

    # -- producing ---------------------------------------------------------------------------

    def enqueue(self, jobs: Sequence[NewJob], now: float) -> list[Enqueued]:
        return self._database.transaction(
            lambda tx: producing.enqueue(tx, jobs, now, lookout=self._lookout),
            what="enqueue",
            one_write=producing.one_write(jobs),
        )

    def enqueue_in(self, connection: object, jobs: Sequence[NewJob], now: float) -> list[Enqueued]:
        """Write jobs with the caller's psycopg connection, in the caller's transaction."""
        return producing.enqueue(self._joined.tx(connection), jobs, now)

    # -- working -----------------------------------------------------------------------------

    def claim(
        self,
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
        now: float,
        memory: MemoryOffer | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> list[Claim]:
        return self._claim(ClaimRequest(worker_id, queues, limit, lease, now, memory, limits))

    def ack(self, worker_id: str, acks: Sequence[Ack], now: float) -> list[bool]:
        return self._database.transaction(
            lambda tx: hotpath.ack(tx, worker_id, acks, now), what="ack"
        )

    def ack_and_claim(
        self,
        worker_id: str,
        acks: Sequence[Ack],
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
        now: float,
        memory: MemoryOffer | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> tuple[list[bool], list[Claim]]:
        request = ClaimRequest(worker_id, queues, limit, lease, now, memory, limits)
        if not acks:
            return [], self._claim(request)

        def work(tx: Tx) -> tuple[list[bool], list[Claim]]:
            return hotpath.ack(tx, worker_id, acks, now), hotpath.claim(tx, request)

        return self._database.transaction(work, what="ack_and_claim")

    def _claim(self, request: ClaimRequest) -> list[Claim]:
        """A claim with no outcome to persist (an idle worker's): on the connections kept
        for claiming, in one statement that commits on its own in the common case. A round
        trip to a server idle for a while is the slow part of an idle worker's answer to a
        new job; BEGIN, the settings and COMMIT took three more."""
        claiming = self._claiming_database()
        head = claiming.transaction(
            lambda tx: hotpath.claim_head(tx, request), what="claim", one_write=True
        )
        rest = head.rest
        if rest is None:
            return head.claims
        return head.claims + claiming.transaction(
            lambda tx: hotpath.claim(tx, rest, settings=False), what="claim"
        )

    def _claiming_database(self) -> Database:
        """The pool for claims alone, opened by the first claim (a producer never opens it):
        its sessions have the claim's settings (claim_session.sql)."""
        with self._claiming_opened:
            if self._claiming is None:
                min_size, max_size = self._database.sizes
                claiming = Database(
                    self._database.url,
                    min_size=min_size,
                    max_size=max_size,
                    session="claim_session",
                    check=False,
                )
                claiming.pool()  # by this thread alone
                self._claiming = claiming
        return self._claiming

    def stand_offer(
        self,
        worker_id: str,
        queues: Sequence[str] | None,
        memory: MemoryOffer,
        lease: float,
        now: float,
        until: float,
    ) -> str | None:
        lease_token = offer_lease_token()
        params = {
            **offer_params(worker_id, lease_token, memory, lease, until),
            "channel": handed_channel(worker_id),
            "queues": None if queues is None else list(queues),
        }
        self._claiming_database().transaction(
            lambda tx: tx.run("offer_stand", params), what="stand_offer", one_write=True
        )
        return lease_token

    def withdraw_offer(self, worker_id: str, lease_token: str) -> Claim | None:
        params = {"worker_id": worker_id, "lease_token": lease_token, "overhead": RUNNER_OVERHEAD}

        def work(tx: Tx) -> Claim | None:
            if tx.rows("offer_withdraw", params):
                return None
            # Taken: the producer's statement has committed (the withdrawal waited for it).
            found = tx.rows("offer_taken", params)
            return rows.claim(found[0]) if found else None

        return self._claiming_database().transaction(work, what="withdraw_offer", one_write=True)

    def head_need(
        self, queues: Sequence[str] | None, now: float, limits: Mapping[str, int] | None = None
    ) -> tuple[str, int | None] | None:
        """The first job in line for these queues and its memory need (None if unknown)."""
        params = {
            "limits": capacities_json(limits),
            "queues": None if queues is None else list(queues),
            "now": now,
            "overhead": RUNNER_OVERHEAD,
        }
        # On a claim's connection: its settings keep the planner reading the line in order
        # from its index, as a claim does, however old the statistics (claim_session.sql).
        found = self._claiming_database().transaction(
            lambda tx: tx.rows("head_need", params), what="head_need"
        )
        return (found[0]["id"], found[0]["need"]) if found else None

    def heartbeat(
        self,
        worker_id: str,
        lease_tokens: Sequence[str],
        lease: float,
        now: float,
        memory: MemoryReport | None = None,
    ) -> HeartbeatReply:
        tokens = list(lease_tokens)

        def work(tx: Tx) -> HeartbeatReply:
            params = {"worker_id": worker_id, "tokens": tokens, "lease": lease, "now": now}
            held = tx.rows("heartbeat", params)
            tx.run("slot_extend", params)  # the slots of those jobs
            tx.run("touch_worker", touch_params(worker_id, now, memory))
            return HeartbeatReply(
                held=frozenset(row["id"] for row in held),
                cancel_requested=frozenset(row["id"] for row in held if row["cancel_requested"]),
            )

        return self._database.transaction(work, what="heartbeat")

    def record_progress(self, updates: Sequence[ProgressUpdate]) -> list[bool]:
        def work(tx: Tx) -> list[bool]:
            return [
                tx.run(
                    "record_progress",
                    {
                        "job_id": update.job_id,
                        "lease_token": update.lease_token,
                        "current": update.current,
                        "total": update.total,
                        "message": update.message,
                    },
                )
                == 1
                for update in updates
            ]

        return self._database.transaction(work, what="record_progress")

    def rescue(self, rescuer: str, now: float) -> RescueReport:
        def work(tx: Tx) -> RescueReport:
            params = {"now": now, "rescuer": rescuer}
            tx.rows("rescue_cancelled", params)  # their cancel was asked for: finish it
            failed = tx.rows("rescue_exhausted", params)
            requeued = tx.rows("rescue_requeue", params)
            promoted = tx.rows("promote_scheduled", params)
            expired = tx.rows("expire_waiting", params)
            tx.run("slot_forget_expired", params)
            tx.run("offers_lapsed", params)
            tx.run("rate_forget_expired", params)
            tx.notify([row["queue"] for row in requeued + promoted])
            return RescueReport(
                requeued=tuple(row["id"] for row in requeued),
                failed=tuple(row["id"] for row in failed),
                expired=tuple(row["id"] for row in expired),
            )

        return self._database.transaction(work, what="rescue")

    # -- copying (cargohold copy) ------------------------------------------------------------

    def export(self, page_size: int) -> Iterator[CopyPage]:
        transaction = self._database.transaction
        return export_pages(
            lambda after, limit: transaction(
                lambda tx: copying.read_jobs(tx, after, limit), what="export"
            ),
            lambda job_ids: transaction(lambda tx: copying.read_events(tx, job_ids), what="export"),
            self.task_stats,
            page_size,
        )

    def import_page(self, page: CopyPage) -> int:
        now = self.now()
        return self._database.transaction(
            lambda tx: copying.import_page(tx, page, now), what="import_page"
        )
