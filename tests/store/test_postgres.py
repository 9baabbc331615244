"""What only the PostgreSQL store has to get right: lost connections, lost commits, LISTEN
after a reconnect, concurrent migrations, the database clock, forked children."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

psycopg = pytest.importorskip("psycopg")

from cargohold.errors import StoreError  # noqa: E402
from cargohold.memory.admission import MemoryOffer  # noqa: E402
from cargohold.outcome import Failed, Succeeded  # noqa: E402
from cargohold.records import Ack, JobFilter  # noqa: E402
from cargohold.states import JobState  # noqa: E402
from cargohold.store import open_store  # noqa: E402
from cargohold.store.postgres import clock as clock_module  # noqa: E402
from cargohold.store.postgres import wakeup as wakeup_module  # noqa: E402
from cargohold.store.postgres.database import PACKAGE, Database, redact  # noqa: E402
from cargohold.store.postgres.rows import array_literal  # noqa: E402
from cargohold.store.postgres.store import PostgresStore  # noqa: E402
from cargohold.store.sqlfiles import migrations  # noqa: E402
from tests.store.test_contract import LEASE, T0, WORKER, enqueue_one, kinds, new_job  # noqa: E402

MIB = 1024 * 1024
OFFER = MemoryOffer(free=100 * MIB, unknown_need=100 * MIB)


@pytest.fixture
def pg(postgres_url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(postgres_url)
    yield opened
    opened.close()


def terminate_sessions(admin: Any, url: str) -> int:
    """End every session on the store's database, as a server restart would."""
    database = url.rsplit("/", 1)[1]
    rows = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        [database],
    ).fetchall()
    return len(rows)


# -- lost connections -------------------------------------------------------------------------


def test_verbs_carry_on_after_every_session_is_terminated(
    pg: PostgresStore, postgres_url: str, postgres_admin: Any
) -> None:
    job_id = enqueue_one(pg)
    assert terminate_sessions(postgres_admin, postgres_url) >= 1
    claim = pg.claim(WORKER, None, 1, LEASE, T0)[0]
    assert claim.id == job_id
    terminate_sessions(postgres_admin, postgres_url)
    assert pg.ack(WORKER, [Ack(job_id, claim.lease_token, Succeeded("1"))], T0 + 1) == [True]
    assert kinds(pg, job_id) == ["enqueued", "claimed", "succeeded"]


def test_wakeup_listens_again_after_its_session_is_terminated(
    pg: PostgresStore, postgres_url: str, postgres_admin: Any
) -> None:
    wakeup = pg.wakeup()
    try:
        terminate_sessions(postgres_admin, postgres_url)
        # Given a dead connection, the worker's wait wakes up and drains: nothing raises.
        readable, _, _ = select.select([wakeup.fileno()], [], [], 5.0)
        assert readable, "a terminated LISTEN session should make its descriptor readable"
        wakeup.drain()
        # Then it listens again at once: the next ready job wakes it.
        enqueue_one(pg, pg.now())
        readable, _, _ = select.select([wakeup.fileno()], [], [], 5.0)
        assert readable, "no wake-up after the LISTEN session was re-established"
        wakeup.drain()
        readable, _, _ = select.select([wakeup.fileno()], [], [], 0.2)
        assert readable == [], "drain() should leave nothing pending"
    finally:
        wakeup.close()


def test_wakeup_survives_a_server_it_cannot_reach() -> None:
    def refuse(**options: object) -> Any:
        raise psycopg.OperationalError("connection refused")

    wakeup = wakeup_module.ListenWakeup(refuse)
    try:
        readable, _, _ = select.select([wakeup.fileno()], [], [], 0.05)
        assert readable == []  # the worker polls instead
        wakeup.drain()
    finally:
        wakeup.close()


# -- lost commits: the connection breaks after COMMIT reached the server ----------------------


@pytest.fixture
def commit_lost_once(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the next COMMIT land on the server but fail on the client, as a connection that
    breaks while the server's answer is on its way would."""
    real_commit = psycopg.Connection.commit
    armed = {"on": False}

    def commit(connection: Any) -> None:
        real_commit(connection)
        if armed["on"]:
            armed["on"] = False
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(psycopg.Connection, "commit", commit)
    return armed


@pytest.fixture
def answer_lost_once(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the next run of the statement named by `armed["on"]` reach the server, then
    break the connection before its answer arrives. In autocommit mode the statement has
    committed, and the client cannot know it."""
    from cargohold.store.postgres import database

    real_rows, real_tuples, real_count = database.Tx.rows, database.Tx.tuples, database.Tx.count
    real_sent_rows = database.Sent.rows
    armed: dict[str, str | None] = {"on": None}

    def lose_answer(connection: psycopg.Connection[Any]) -> None:
        armed["on"] = None
        connection.pgconn.finish()
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    def rows(tx: Any, name: str, params: Any = None) -> Any:
        found = real_rows(tx, name, params)
        if armed["on"] == name:
            lose_answer(tx.connection)
        return found

    def tuples(tx: Any, name: str, params: Any = None) -> Any:
        found = real_tuples(tx, name, params)
        if armed["on"] == name:
            lose_answer(tx.connection)
        return found

    def count(tx: Any, name: str, params: Any, *, statement: Any = None) -> int:
        found = real_count(tx, name, params, statement=statement)
        if armed["on"] == name:
            lose_answer(tx.connection)
        return found

    def sent_rows(sent: Any) -> Any:
        connection = sent.cursor.connection
        found = real_sent_rows(sent)
        if armed["on"] == sent.name:
            lose_answer(connection)
        return found

    monkeypatch.setattr(database.Tx, "rows", rows)
    monkeypatch.setattr(database.Tx, "count", count)
    monkeypatch.setattr(database.Tx, "tuples", tuples)
    monkeypatch.setattr(database.Sent, "rows", sent_rows)
    return armed


def test_a_lost_answer_of_enqueue_writes_the_job_once(
    pg: PostgresStore, answer_lost_once: Any
) -> None:
    """Jobs without a queue depth to check are written by one statement in autocommit."""
    job, other = new_job(key="k1"), new_job()
    answer_lost_once["on"] = "enqueue"
    results = pg.enqueue([job, other], T0)
    assert [(r.id, r.created) for r in results] == [(job.id, True), (other.id, True)]
    assert answer_lost_once["on"] is None, "the fault was injected"
    assert len(pg.find_jobs(JobFilter())) == 2
    assert kinds(pg, job.id) == ["enqueued"] and kinds(pg, other.id) == ["enqueued"]


@pytest.mark.parametrize(("key", "statement"), [(None, "enqueue_handing"), ("k1", "enqueue_one")])
def test_a_lost_answer_of_a_single_enqueue_writes_the_job_once(
    pg: PostgresStore, answer_lost_once: Any, key: str | None, statement: str
) -> None:
    """One job is written by a statement of its own, in autocommit; a keyless one without
    ON CONFLICT (and able to take a standing offer), until a lost answer leaves its fate
    unknown."""
    job = new_job(key=key)
    answer_lost_once["on"] = statement
    [result] = pg.enqueue([job], T0)
    assert answer_lost_once["on"] is None, "the fault was injected"
    assert (result.id, result.created) == (job.id, True)
    assert [j.id for j in pg.find_jobs(JobFilter())] == [job.id]
    assert kinds(pg, job.id) == ["enqueued"]


def test_a_lost_answer_of_a_single_enqueue_that_took_an_offer_hands_the_job_once(
    pg: PostgresStore, answer_lost_once: Any
) -> None:
    token = pg.stand_offer(WORKER, None, OFFER, LEASE, T0, T0 + 3)
    job = new_job()
    answer_lost_once["on"] = "enqueue_handing"
    [result] = pg.enqueue([job], T0)
    assert answer_lost_once["on"] is None, "the fault was injected"
    assert (result.id, result.created) == (job.id, True)
    found = pg.get_job(job.id)
    assert found is not None and (found.state, found.worker_id) == (JobState.RUNNING, WORKER)
    assert kinds(pg, job.id) == ["enqueued", "claimed"]
    claim = pg.withdraw_offer(WORKER, token or "none")
    assert claim is not None and claim.id == job.id


def test_a_single_enqueue_the_server_refuses_writes_nothing_and_the_next_is_written(
    postgres_url: str,
) -> None:
    """On one connection: the next enqueue runs on the cursor that met the error."""
    store = PostgresStore(postgres_url, min_size=1, max_size=1)
    try:
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            store.enqueue([new_job(priority=2**40)], T0)
        job_id = enqueue_one(store)
        assert [j.id for j in store.find_jobs(JobFilter())] == [job_id]
        assert kinds(store, job_id) == ["enqueued"]
    finally:
        store.close()


def test_a_transaction_after_a_single_enqueue_is_not_in_autocommit(postgres_url: str) -> None:
    """A one-write verb leaves its connection in autocommit mode in the pool; a verb of
    several statements on that same connection gets its transaction back."""
    database = Database(postgres_url, min_size=1, max_size=1)
    try:
        database.transaction(lambda tx: tx.run("ping"), what="ping", one_write=True)
        in_transaction = database.transaction(
            lambda tx: not tx.connection.autocommit, what="inspect"
        )
        assert in_transaction
    finally:
        database.close()


@pytest.mark.parametrize("count", [2, 1_200])
def test_a_lost_answer_of_a_keyless_enqueue_writes_each_job_once(
    pg: PostgresStore, answer_lost_once: Any, count: int
) -> None:
    """Keyless jobs are first inserted without ON CONFLICT; the try after a lost answer
    cannot know what landed, so it must skip what did (a few jobs: one statement in
    autocommit; many: chunks in a transaction, which a lost answer rolls back)."""
    jobs = [new_job() for _ in range(count)]
    answer_lost_once["on"] = "enqueue_alike"  # jobs of one task, with no options
    results = pg.enqueue(jobs, T0)
    assert answer_lost_once["on"] is None, "the fault was injected"
    assert [(r.id, r.created) for r in results] == [(job.id, True) for job in jobs]
    assert len(pg.find_jobs(JobFilter(limit=2 * count))) == count
    assert kinds(pg, jobs[-1].id) == ["enqueued"]


def test_a_lost_commit_of_enqueue_writes_the_job_once(
    pg: PostgresStore, commit_lost_once: Any
) -> None:
    """A job with a queue depth to check is written in a transaction."""
    job = new_job(key="k1", max_depth=10)
    commit_lost_once["on"] = True
    [result] = pg.enqueue([job], T0)
    assert commit_lost_once["on"] is False, "the fault was injected"
    assert (result.id, result.created) == (job.id, True)
    assert len(pg.find_jobs(JobFilter())) == 1
    assert kinds(pg, job.id) == ["enqueued"]


def test_a_lost_answer_of_claim_returns_the_claimed_jobs(
    pg: PostgresStore, answer_lost_once: Any
) -> None:
    """A claim with no outcome to persist is one statement, committed on its own."""
    ids = {enqueue_one(pg) for _ in range(3)}
    enqueue_one(pg)
    answer_lost_once["on"] = "claim"
    claims = pg.claim(WORKER, None, 3, LEASE, T0)
    assert answer_lost_once["on"] is None, "the fault was injected"
    assert {c.id for c in claims} <= ids and len(claims) == 3
    for claim in claims:
        job = pg.get_job(claim.id)
        assert job is not None and job.lease_token == claim.lease_token
        assert kinds(pg, claim.id) == ["enqueued", "claimed"]
    assert len(pg.claim(WORKER, None, 10, LEASE, T0)) == 1


def test_a_lost_commit_of_ack_is_reported_accepted_and_applied_once(
    pg: PostgresStore, commit_lost_once: Any
) -> None:
    done, refused = enqueue_one(pg), enqueue_one(pg)
    claims = {c.id: c for c in pg.claim(WORKER, None, 2, LEASE, T0)}
    commit_lost_once["on"] = True
    accepted = pg.ack(
        WORKER,
        [
            Ack(done, claims[done].lease_token, Succeeded("1")),
            Ack(refused, "not-its-token", Failed("x")),
        ],
        T0 + 1,
    )
    assert accepted == [True, False]
    assert kinds(pg, done) == ["enqueued", "claimed", "succeeded"]
    assert pg.get_job(refused).state == JobState.RUNNING  # type: ignore[union-attr]


def test_a_lost_commit_of_retry_is_reported_not_repeated(
    pg: PostgresStore, commit_lost_once: Any
) -> None:
    job_id = enqueue_one(pg)
    claim = pg.claim(WORKER, None, 1, LEASE, T0)[0]
    pg.ack(WORKER, [Ack(job_id, claim.lease_token, Failed("bad"))], T0)
    commit_lost_once["on"] = True
    with pytest.raises(StoreError, match="may or may not have been applied"):
        pg.retry(job_id, T0 + 1)
    assert kinds(pg, job_id)[-1] == "retried"


def test_a_lost_commit_of_a_claim_with_memory_returns_the_claimed_jobs(
    pg: PostgresStore, commit_lost_once: Any
) -> None:
    big = enqueue_one(pg, memory=300 * MIB)
    small = [enqueue_one(pg, T0 + n, memory=10 * MIB) for n in range(1, 4)]
    commit_lost_once["on"] = True
    claims = pg.claim(WORKER, None, 3, LEASE, T0 + 5, memory=OFFER)
    # The first statement claimed nothing (the big job is first in line): the claim went on
    # in a transaction, whose COMMIT was lost.
    assert commit_lost_once["on"] is False, "the fault was injected"
    assert [c.id for c in claims] == small
    assert pg.get_job(big).state == JobState.QUEUED  # type: ignore[union-attr]
    assert all(kinds(pg, job_id) == ["enqueued", "claimed"] for job_id in small)


def test_a_claim_goes_on_past_a_job_that_does_not_fit_in_a_transaction(
    pg: PostgresStore,
) -> None:
    # Given: a job too big for the offer between two small ones.
    first = enqueue_one(pg, memory=10 * MIB)
    big = enqueue_one(pg, T0 + 1, memory=300 * MIB)
    last = enqueue_one(pg, T0 + 2, memory=10 * MIB)
    # When: an idle worker claims; its first statement stops at the big job.
    claims = pg.claim(WORKER, None, 3, LEASE, T0 + 5, memory=OFFER)
    # Then: the small ones are both claimed, by two commits with lease tokens of their own.
    assert [c.id for c in claims] == [first, last]
    assert claims[0].lease_token[:8] != claims[1].lease_token[:8]
    assert pg.get_job(big).state == JobState.QUEUED  # type: ignore[union-attr]
    assert kinds(pg, first) == kinds(pg, last) == ["enqueued", "claimed"]


def test_a_lost_answer_of_a_claim_with_memory_returns_what_it_claimed(
    pg: PostgresStore, answer_lost_once: Any
) -> None:
    first = enqueue_one(pg, memory=10 * MIB)
    big = enqueue_one(pg, T0 + 1, memory=300 * MIB)
    last = enqueue_one(pg, T0 + 2, memory=10 * MIB)
    answer_lost_once["on"] = "claim_window"
    claims = pg.claim(WORKER, None, 3, LEASE, T0 + 5, memory=OFFER)
    # What its statement claimed, found again; the jobs behind wait for the next claim.
    assert answer_lost_once["on"] is None, "the fault was injected"
    assert [c.id for c in claims] == [first]
    assert kinds(pg, first) == ["enqueued", "claimed"]
    assert [c.id for c in pg.claim(WORKER, None, 3, LEASE, T0 + 6, memory=OFFER)] == [last]
    assert pg.get_job(big).state == JobState.QUEUED  # type: ignore[union-attr]


def test_claims_alone_do_not_wait_for_the_disk_and_outcomes_do(
    pg: PostgresStore, postgres_url: str
) -> None:
    """The sessions kept for claims have the claim's settings; the others keep the server's."""

    def settings(tx: Any) -> tuple[str, str]:
        row = tx.connection.execute(
            "SELECT current_setting('synchronous_commit'), current_setting('enable_sort')"
        ).fetchone()
        return (row[0], row[1])

    with psycopg.connect(postgres_url) as plain:
        [(server_default,)] = plain.execute("SHOW synchronous_commit").fetchall()
    assert pg._claiming_database().transaction(settings, what="test") == ("off", "off")
    assert pg._database.transaction(settings, what="test") == (server_default, "on")


# -- concurrent workers -----------------------------------------------------------------------


def test_concurrent_claims_with_memory_take_each_job_once(postgres_url: str) -> None:
    """Given: jobs of mixed needs, some under a limit. When: four workers drain them at once,
    each acking what it claimed while claiming more. Then: each job ran once, and never more
    than the limit's concurrency of those under it at a time."""
    stores = [PostgresStore(postgres_url) for _ in range(4)]
    try:
        jobs = [
            enqueue_one(
                stores[0],
                T0 + n / 1000,
                memory=(n % 4) * 20 * MIB,
                limits=(("api", ""),) if n % 5 == 0 else (),
            )
            for n in range(300)
        ]
        claimed: list[str] = []
        errors: list[BaseException] = []

        def work(store: PostgresStore, worker: str) -> None:
            try:
                acks: list[Ack] = []
                while True:
                    accepted, claims = store.ack_and_claim(
                        worker, acks, None, 8, LEASE, T0 + 1, memory=OFFER, limits={"api": 2}
                    )
                    assert all(accepted)
                    claimed.extend(c.id for c in claims)
                    held = store.limit_holders("api", "", T0 + 1)
                    assert len(held) <= 2
                    if not claims and not acks:
                        return
                    acks = [Ack(c.id, c.lease_token, Succeeded("1")) for c in claims]
            except BaseException as error:
                errors.append(error)

        threads = [
            threading.Thread(target=work, args=(store, f"host:{n}:w"))
            for n, store in enumerate(stores)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        assert sorted(claimed) == sorted(jobs)
        done = stores[0].find_jobs(JobFilter(states=(JobState.SUCCEEDED,), limit=1000))
        assert len(done) == len(jobs)
    finally:
        for store in stores:
            store.close()


# -- schema, clock, processes -----------------------------------------------------------------


def test_concurrent_first_starts_migrate_once(empty_postgres_url: str) -> None:
    errors: list[BaseException] = []
    stores: list[PostgresStore] = []

    def start() -> None:
        try:
            stores.append(PostgresStore(empty_postgres_url))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(empty_postgres_url) as connection:
        applied = connection.execute("SELECT version FROM cargohold_migrations ORDER BY 1")
        versions = [version for (version,) in applied.fetchall()]
    assert versions == [version for version, _, _ in migrations(PACKAGE)]
    for opened in stores:
        opened.close()


def _server_clock(url: str) -> float:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
        return float(row.fetchone()[0])


def _shift_host_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + seconds)


def test_now_is_the_database_clock_even_when_ours_is_wrong(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shift_host_clock(monkeypatch, 3600)  # this host is an hour ahead
    opened = PostgresStore(postgres_url)
    try:
        server = _server_clock(postgres_url)
        assert abs(opened.now() - server) < 0.5
    finally:
        opened.close()


def test_a_due_clock_measurement_waits_for_the_end_of_the_next_transaction(
    pg: PostgresStore, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock_module, "REFRESH_EVERY", 0.0)  # a measurement is always due
    # This host's clock drifts ahead by less than a step: a time given before the next
    # measurement still carries the old offset.
    _shift_host_clock(monkeypatch, 2 * clock_module.STEP / 3)
    assert pg.now() - _server_clock(postgres_url) > clock_module.STEP / 3
    enqueue_one(pg)  # a transaction: once it has committed, the clock is measured
    assert abs(pg.now() - _server_clock(postgres_url)) < clock_module.STEP / 3


def test_a_host_clock_set_since_the_last_measurement_is_measured_again_at_once(
    pg: PostgresStore, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shift_host_clock(monkeypatch, -3600)  # set back an hour, no transaction since
    assert abs(pg.now() - _server_clock(postgres_url)) < 0.5


def test_an_old_offset_is_measured_again_before_a_time_is_given(
    pg: PostgresStore, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A process that runs no transaction of the store's own (it enqueues only with
    # connection=) still gets an offset no older than MAX_AGE.
    monkeypatch.setattr(clock_module, "MAX_AGE", 0.0)
    _shift_host_clock(monkeypatch, 2 * clock_module.STEP / 3)
    assert abs(pg.now() - _server_clock(postgres_url)) < clock_module.STEP / 3


def test_a_forked_child_uses_its_own_connections(pg: PostgresStore) -> None:
    first = enqueue_one(pg)
    pid = os.fork()
    if pid == 0:  # the child: enqueue through the inherited store, then vanish
        try:
            pg.enqueue([new_job(task="from_child")], T0)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # The parent's pooled sessions were not touched by the child.
    assert {j.task for j in pg.find_jobs(JobFilter())} == {"t", "from_child"}
    assert first in {c.id for c in pg.claim(WORKER, None, 2, LEASE, T0)}


def test_open_store_picks_postgres_for_both_schemes(postgres_url: str) -> None:
    for url in (postgres_url, postgres_url.replace("postgresql://", "postgres://", 1)):
        opened = open_store(url)
        try:
            assert isinstance(opened, PostgresStore)
        finally:
            opened.close()


def test_an_unreachable_server_is_named_in_the_error() -> None:
    with pytest.raises(StoreError, match=r"cannot use the PostgreSQL store .*127\.0\.0\.1:1/") as e:
        PostgresStore("postgresql://postgres:hunter2@127.0.0.1:1/nowhere")
    assert "hunter2" not in str(e.value)


def test_passwords_never_reach_the_url_shown() -> None:
    shown = redact("postgresql://app:hunter2@db.internal:5432/jobs?sslmode=require&password=x")
    assert "hunter2" not in shown and "password=x" not in shown
    assert shown.startswith("postgresql://app:***@db.internal:5432/jobs")


def test_a_lost_commit_of_ack_and_claim_returns_both_halves(
    pg: PostgresStore, commit_lost_once: Any
) -> None:
    done = enqueue_one(pg)
    claim = pg.claim(WORKER, None, 1, LEASE, T0)[0]
    following = enqueue_one(pg, T0 + 1)
    commit_lost_once["on"] = True
    accepted, claims = pg.ack_and_claim(
        WORKER, [Ack(done, claim.lease_token, Succeeded("1"))], None, 5, LEASE, T0 + 2
    )
    assert accepted == [True] and [c.id for c in claims] == [following]
    assert kinds(pg, following) == ["enqueued", "claimed"]


@given(
    values=st.lists(
        st.one_of(
            st.none(),
            st.text(
                st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                max_size=30,
            ),
        )
    )
)
@settings(max_examples=200, deadline=None)
def test_outcome_fields_reach_the_server_as_they_were(
    values: list[str | None], postgres_connection: Any
) -> None:
    """Outcome fields are sent as the text of an array literal: any text a store can hold
    (no NUL, no lone surrogate) comes back unchanged."""
    [(read,)] = postgres_connection.execute("SELECT %s::text[]", [array_literal(values)])
    assert read == values


def test_outcome_numbers_reach_the_server_as_they_were(postgres_connection: Any) -> None:
    peaks, run_ats = [0, None, 2**62, -1], [1796204442.4770079, None, 0.1, 1e-300]
    query = "SELECT %s::bigint[], %s::float8[]"
    [row] = postgres_connection.execute(query, [array_literal(peaks), array_literal(run_ats)])
    assert row == (peaks, run_ats)


@pytest.fixture(scope="module")
def postgres_connection(postgres_databases: Any) -> Iterator[Any]:
    from tests.postgres import POSTGRES_ADMIN_URL

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        yield connection


def test_single_enqueues_right_after_one_that_found_no_offer_write_plainly(
    pg: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Looking for an offer costs the server more than a plain write; while no worker is
    idle there is none to find, so a producer looks again only after a short while."""
    from cargohold.store.postgres import producing

    monkeypatch.setattr(producing, "PLAIN_AFTER_MISS", 3600.0)
    # Given a single enqueue that found no offer
    first = enqueue_one(pg)
    # When a worker stands an offer and a job is enqueued right after
    token = pg.stand_offer(WORKER, None, OFFER, LEASE, T0, T0 + 3)
    second = enqueue_one(pg)
    # Then that job is written plainly, queued, and the offer still stands
    states = [pg.get_job(job_id).state for job_id in (first, second)]  # type: ignore[union-attr]
    assert states == [JobState.QUEUED, JobState.QUEUED]
    assert pg.withdraw_offer(WORKER, token or "none") is None


def test_a_producer_looks_for_offers_again_after_a_miss_once_its_while_is_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cargohold.store.postgres import producing

    clock = [100.0]
    monkeypatch.setattr(producing.time, "monotonic", lambda: clock[0])
    lookout = producing.OfferLookout()
    assert lookout.due()
    lookout.looked(took=False)
    assert not lookout.due()
    clock[0] += producing.PLAIN_AFTER_MISS
    assert lookout.due()
    lookout.looked(took=True)  # an offer was there: others may be too
    assert lookout.due()
