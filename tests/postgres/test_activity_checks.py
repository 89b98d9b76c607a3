"""Live sessions: long queries, idle transactions, lock waits and connection limits, for real."""

from __future__ import annotations

import contextlib
import threading
import time

import psycopg
import pytest

from tests.postgres.helpers import findings, report


@pytest.fixture
def table(pg_db):
    pg, name = pg_db
    pg.run(name, "CREATE TABLE stock (id int PRIMARY KEY, qty int); INSERT INTO stock VALUES (1, 10), (2, 20);")
    return pg, name


def _in_background(dsn: str, sql: str) -> tuple[threading.Thread, list]:
    box: list = []

    def run() -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                box.append(conn.info.backend_pid)
                conn.execute(sql)
        except Exception as exc:  # cancelled/terminated by the test at the end
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def test_long_running_query_found_and_cancel_sql_works(table):
    pg, name = table
    thread, box = _in_background(pg.dsn(name), "SELECT pg_sleep(30)")
    _wait_for(lambda: box)
    time.sleep(1.2)
    assert not findings(report(pg.dsn(name)), "long_running_query")  # near-miss: under the 60 s default
    rep = report(pg.dsn(name), long_running_query={"warn_s": 1.0})
    (f,) = findings(rep, "long_running_query")
    assert f.object["pid"] == box[0] and f.evidence["query_age_s"] >= 1.0
    assert "pg_sleep($1)" in f.evidence["query"]  # literals normalized away (issue 15)
    with pg.connect(name) as conn:
        assert conn.execute(f.sql.splitlines()[0]).fetchone()[0] is True
    thread.join(5)
    assert isinstance(box[-1], psycopg.errors.QueryCanceled)


def test_idle_in_transaction_found_but_plain_idle_is_not(table):
    pg, name = table
    with pg.connect(name) as idle_tx, pg.connect(name) as idle:
        idle_tx.autocommit = False
        idle_tx.execute("UPDATE stock SET qty = qty - 1 WHERE id = 1")
        idle.execute("SELECT 1")
        time.sleep(1.2)
        rep = report(pg.dsn(name), idle_in_transaction={"warn_s": 1.0})
        (f,) = findings(rep, "idle_in_transaction")
        assert f.object["pid"] == idle_tx.info.backend_pid
        assert f.evidence["idle_s"] >= 1.0
        assert "pg_terminate_backend" in f.sql and "idle_in_transaction_session_timeout" in f.sql
        assert not findings(report(pg.dsn(name)), "idle_in_transaction")  # 5 min default
        with pg.connect(name) as admin:
            assert admin.execute(f.sql.splitlines()[0]).fetchone()[0] is True  # pg_terminate_backend
        with pytest.raises(psycopg.OperationalError):
            idle_tx.execute("SELECT 1")
    with pg.connect(name) as conn:  # its uncommitted update was rolled back with it
        assert conn.execute("SELECT qty FROM stock WHERE id = 1").fetchone()[0] == 10


def test_lock_contention_names_root_blocker_and_every_waiter(table):
    pg, name = table
    with pg.connect(name) as holder:
        holder.autocommit = False
        holder.execute("UPDATE stock SET qty = 0 WHERE id = 1")
        waiters = [_in_background(pg.dsn(name), "UPDATE stock SET qty = qty + 1 WHERE id = 1") for _ in range(2)]
        _wait_for(lambda: all(box for _, box in waiters))
        time.sleep(1.3)
        rep = report(pg.dsn(name), lock_contention={"min_wait_s": 1.0})
        (f,) = findings(rep, "lock_contention")
        assert f.object["pid"] == holder.info.backend_pid
        blocked = {b["pid"] for b in f.evidence["blocked"]}
        assert blocked == {box[0] for _, box in waiters}
        assert all(b["waiting_s"] >= 1.0 for b in f.evidence["blocked"])
        # the first waiter waits for the holder's transaction, the second for the first's row lock
        assert {b["mode"] for b in f.evidence["blocked"]} == {"ShareLock", "ExclusiveLock"}
        assert f.object["relation"] == "stock"
        assert f.evidence["blocker_state"] == "idle in transaction"
        with pg.connect(name) as admin:
            admin.execute(f.sql.split("  --")[0])  # terminate the root blocker: the queue drains
        for thread, _ in waiters:
            thread.join(10)
            assert not thread.is_alive()
        with pytest.raises(psycopg.OperationalError):
            holder.execute("SELECT 1")
    with pg.connect(name) as conn:
        assert conn.execute("SELECT qty FROM stock WHERE id = 1").fetchone()[0] == 12  # both waiters ran
    assert not findings(report(pg.dsn(name), lock_contention={"min_wait_s": 0.0}), "lock_contention")


def test_connection_saturation_with_real_connections(pg_db):
    pg, name = pg_db
    assert not findings(report(pg.dsn(name)), "connection_saturation")
    with pg.connect() as conn:
        limit = int(conn.execute("SHOW max_connections").fetchone()[0]) - \
            int(conn.execute("SHOW superuser_reserved_connections").fetchone()[0])
        in_use = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                              ).fetchone()[0]
    extra = int(limit * 0.85) - in_use
    with contextlib.ExitStack() as stack:
        for _ in range(extra):
            stack.enter_context(pg.connect(name))
        rep = report(pg.dsn(name))
    (f,) = findings(rep, "connection_saturation")
    assert f.severity == "warning" and f.evidence["max_connections"] == limit + f.evidence["reserved"]
