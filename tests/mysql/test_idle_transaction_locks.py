"""``idle_in_transaction`` on MariaDB: a session idle in a transaction that holds row locks is
reported from 60 s (``locks_warn_s``), one that holds nothing only from 5 min (``warn_s``), with
the tables it locks and the sessions that wait on it. Same rule and thresholds as PostgreSQL
(``tests/test_idle_transaction_locks.py``)."""

from __future__ import annotations

import contextlib
import threading
import time

import pymysql
import pytest

from tests.mysql.servers import MyServer, findings, report


def _connect(my: MyServer, db: str) -> pymysql.connections.Connection:
    return pymysql.connect(host=my.host, port=my.port, user=my.user, password=my.password or "", database=db,
                           autocommit=True)


@pytest.fixture
def shop(my_db):
    my, db = my_db
    my.run(db, SHOP)
    return my, db


@contextlib.contextmanager
def _without_statement_history(my: MyServer):
    """The server's default (statements_current off): whatever another test left, put back after."""
    was = my.scalar("SELECT ENABLED FROM performance_schema.setup_consumers WHERE NAME = 'events_statements_current'")
    my.run(None, "UPDATE performance_schema.setup_consumers SET ENABLED = 'NO' "
                 "WHERE NAME = 'events_statements_current'")
    try:
        yield
    finally:
        my.run(None, f"UPDATE performance_schema.setup_consumers SET ENABLED = '{was}' "
                     "WHERE NAME = 'events_statements_current'")


@contextlib.contextmanager
def _statement_history(my: MyServer):
    """MariaDB keeps a session's statement history only with both consumers on (off by default)."""
    my.run(None, "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' "
                 "WHERE NAME IN ('events_statements_current', 'events_statements_history')")
    try:
        yield
    finally:
        my.run(None, "UPDATE performance_schema.setup_consumers SET ENABLED = 'NO' "
                     "WHERE NAME = 'events_statements_current'")


SHOP = """
    CREATE TABLE accounts (id INT PRIMARY KEY, bal INT);
    CREATE TABLE ledger (id INT PRIMARY KEY, amount INT);
    INSERT INTO accounts SELECT seq, 100 FROM seq_1_to_100;
    INSERT INTO ledger SELECT seq, 1 FROM seq_1_to_100;
"""


@contextlib.contextmanager
def idle_past_a_minute(my: MyServer, db: str):
    """Default thresholds, sessions left idle: the one holding a row lock another session waits on is
    critical and names the table and the waiter; one holding a row lock nobody waits on is a warning
    naming its table from the statement history; one that only read (no locks) is not reported.

    Sets the sessions up, yields while the caller waits past ``locks_warn_s`` (one wait serves both
    engines: ``tests/test_idle_transaction_locks.py``), then checks the report and applies the fix."""
    with _statement_history(my):
        holder, locker, reader, waiter = (_connect(my, db) for _ in range(4))
        try:
            with holder.cursor() as cur:
                cur.execute("START TRANSACTION")
                cur.execute("UPDATE accounts SET bal = bal - 5 WHERE id = 1")
            with locker.cursor() as cur:
                cur.execute("START TRANSACTION")
                cur.execute("SELECT * FROM ledger WHERE id = 7 FOR UPDATE")
            with reader.cursor() as cur:
                cur.execute("START TRANSACTION")
                cur.execute("SELECT SUM(bal) FROM accounts")  # a consistent read: no locks
            waiter_id = waiter.thread_id()

            def wait() -> None:
                with contextlib.suppress(pymysql.err.MySQLError), waiter.cursor() as cur:
                    cur.execute("SET SESSION innodb_lock_wait_timeout = 300")
                    cur.execute("UPDATE accounts SET bal = bal + 5 WHERE id = 1")

            th = threading.Thread(target=wait, daemon=True)
            th.start()
            yield
            rep = report(my.dsn(db))
            (f,) = findings(rep, "idle_in_transaction", pid=holder.thread_id())
            assert f.severity == "critical" and f.evidence["threshold"] == "locks_warn_s"
            assert f.evidence["locked_tables"] == [f"{db}.accounts"] and f.object["table"] == "accounts"
            assert f.evidence["waiting_pids"] == [waiter_id] and f.evidence["rows_locked"] >= 1
            assert f.evidence["idle_s"] >= 60 and f.evidence["command"] == "Sleep"
            (g,) = findings(rep, "idle_in_transaction", pid=locker.thread_id())
            assert g.severity == "warning" and g.evidence["waiting_pids"] == []
            assert g.evidence["locked_tables"] == [f"{db}.ledger"]
            assert g.evidence["tables_from"] and "statement history" in g.evidence["tables_from"]
            assert not findings(rep, "idle_in_transaction", pid=reader.thread_id())
            my.run(None, f.sql.splitlines()[0])  # KILL: the waiter gets its lock
            th.join(10)
            assert not th.is_alive()
        finally:
            for conn in (holder, locker, reader, waiter):
                with contextlib.suppress(Exception):
                    conn.close()


def test_lowered_thresholds_hit_and_near_miss(shop):
    """Fast: a lock holder is not reported before locks_warn_s, is after; a session holding nothing
    is reported only past warn_s; without the statement history MariaDB cannot name the table and
    says why."""
    my, db = shop
    with _without_statement_history(my):
        _lowered_thresholds(my, db)


def _lowered_thresholds(my: MyServer, db: str) -> None:
    holder, reader = _connect(my, db), _connect(my, db)
    try:
        with holder.cursor() as cur:
            cur.execute("START TRANSACTION")
            cur.execute("DELETE FROM ledger WHERE id = 3")
        with reader.cursor() as cur:
            cur.execute("START TRANSACTION")
            cur.execute("SELECT COUNT(*) FROM ledger")
        time.sleep(2.2)
        near = report(my.dsn(db), idle_in_transaction={"locks_warn_s": 30, "warn_s": 60})
        assert not findings(near, "idle_in_transaction", pid=holder.thread_id())
        rep = report(my.dsn(db), idle_in_transaction={"locks_warn_s": 2, "warn_s": 60})
        (f,) = findings(rep, "idle_in_transaction", pid=holder.thread_id())
        assert f.severity == "warning" and f.evidence["row_locks"] and f.evidence["rows_modified"] == 1
        assert f.evidence["locked_tables"] == [] and "not known" in f.evidence["tables_from"]
        assert "holding row locks" in f.title
        assert f.sql.startswith(f"KILL {holder.thread_id()};") and "idle_transaction_timeout" in f.sql
        assert not findings(rep, "idle_in_transaction", pid=reader.thread_id())
        low = report(my.dsn(db), idle_in_transaction={"locks_warn_s": 2, "warn_s": 2})
        (r,) = findings(low, "idle_in_transaction", pid=reader.thread_id())
        assert not r.evidence["holds_locks"] and r.evidence["threshold"] == "warn_s"
    finally:
        holder.close()
        reader.close()
