"""Activity checks against live sessions: long statements, idle transactions, lock waits, connections."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pymysql
import pytest

from tests.mysql.servers import MyServer, findings, report


def _connect(my: MyServer, db: str | None = None, **kw) -> pymysql.connections.Connection:
    return pymysql.connect(host=my.host, port=my.port, user=my.user, password=my.password or "", database=db,
                           autocommit=True, **kw)


def _wait_until(cond: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def _in_background(conn: pymysql.connections.Connection, sql: str) -> threading.Thread:
    def run() -> None:
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        except pymysql.err.MySQLError:
            pass  # killed or timed out by the test's cleanup

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th


@pytest.fixture
def accounts(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE accounts (id INT PRIMARY KEY, bal INT);
        INSERT INTO accounts SELECT seq, 100 FROM seq_1_to_100;
    """)
    return my, db


def test_long_running_query_hit_and_near_miss(accounts):
    my, db = accounts
    runner = _connect(my, db)
    pid = runner.thread_id()
    th = _in_background(runner, "SELECT SLEEP(8)")
    try:
        _wait_until(lambda: (my.scalar(f"SELECT TIME_MS FROM information_schema.PROCESSLIST WHERE ID = {pid}")
                             or 0) >= 1500)
        near = report(my.dsn(db))  # default: 60 s
        assert not findings(near, "long_running_query", pid=pid)
        rep = report(my.dsn(db), long_running_query={"warn_s": 1})
        hit = findings(rep, "long_running_query", pid=pid)
        assert len(hit) == 1
        assert hit[0].severity == "warning" and "SLEEP" in hit[0].evidence["query"]
        assert hit[0].evidence["query_age_s"] >= 1.5 and hit[0].object["database"] == db
        assert hit[0].sql == f"KILL QUERY {pid};"
        my.run(None, hit[0].sql)  # the fix ends the statement
        th.join(5)
        assert not th.is_alive()
    finally:
        th.join(10)
        runner.close()


def test_idle_in_transaction_hit_and_near_miss(accounts):
    my, db = accounts
    idle_trx = _connect(my, db)
    idle_plain = _connect(my, db)
    try:
        with idle_trx.cursor() as cur:
            cur.execute("START TRANSACTION")
            cur.execute("UPDATE accounts SET bal = bal + 1 WHERE id = 1")
        with idle_plain.cursor() as cur:
            cur.execute("SELECT * FROM accounts WHERE id = 2")
        time.sleep(1.3)
        assert not findings(report(my.dsn(db)), "idle_in_transaction", pid=idle_trx.thread_id())  # 300 s
        rep = report(my.dsn(db), idle_in_transaction={"warn_s": 1})
        hit = findings(rep, "idle_in_transaction", pid=idle_trx.thread_id())
        assert len(hit) == 1
        f = hit[0]
        assert f.evidence["command"] == "Sleep" and f.evidence["idle_s"] >= 1
        assert f.evidence["rows_modified"] == 1 and f.evidence["source"] == "information_schema.INNODB_TRX"
        assert f.sql.startswith(f"KILL {idle_trx.thread_id()};")
        assert not findings(rep, "idle_in_transaction", pid=idle_plain.thread_id())
    finally:
        idle_trx.close()
        idle_plain.close()


def test_lock_contention_names_the_blocker_and_the_table(accounts):
    my, db = accounts
    blocker = _connect(my, db)
    waiter = _connect(my, db)
    with waiter.cursor() as cur:
        cur.execute("SET SESSION innodb_lock_wait_timeout = 20")
    with blocker.cursor() as cur:
        cur.execute("START TRANSACTION")
        cur.execute("UPDATE accounts SET bal = bal - 1 WHERE id = 7")
    th = _in_background(waiter, "UPDATE accounts SET bal = bal + 1 WHERE id = 7")
    try:
        _wait_until(lambda: my.scalar("SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS") >= 1)
        near = report(my.dsn(db), lock_contention={"min_wait_s": 10})
        assert not findings(near, "lock_contention", pid=blocker.thread_id())
        time.sleep(1.2)
        rep = report(my.dsn(db), lock_contention={"min_wait_s": 1})
        hit = findings(rep, "lock_contention", pid=blocker.thread_id())
        assert len(hit) == 1
        f = hit[0]
        assert f.object["table"] == "accounts" and f.object["schema"] == db and f.object["index"] == "PRIMARY"
        assert [b["pid"] for b in f.evidence["blocked"]] == [waiter.thread_id()]
        assert "UPDATE accounts" in f.evidence["blocked"][0]["query"]
        assert f.evidence["blocker_command"] == "Sleep" and "idle" in f.title
        assert f.sql.startswith(f"KILL {blocker.thread_id()};")
    finally:
        blocker.rollback()
        th.join(25)
        blocker.close()
        waiter.close()


def test_metadata_lock_wait_points_at_the_open_transaction(accounts):
    my, db = accounts
    holder = _connect(my, db)
    ddl = _connect(my, db)
    with ddl.cursor() as cur:
        cur.execute("SET SESSION lock_wait_timeout = 20")
    with holder.cursor() as cur:
        cur.execute("START TRANSACTION")
        cur.execute("SELECT * FROM accounts WHERE id = 1")
    th = _in_background(ddl, "ALTER TABLE accounts ADD COLUMN note INT")
    try:
        _wait_until(lambda: my.scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE = "
                                      "'Waiting for table metadata lock' AND TIME_MS >= 1200") >= 1)
        rep = report(my.dsn(db), lock_contention={"min_wait_s": 1})
        mdl = [f for f in findings(rep, "lock_contention") if "metadata lock" in f.title]
        assert len(mdl) == 1
        assert mdl[0].object["pid"] == holder.thread_id()
        assert "ALTER TABLE accounts" in mdl[0].evidence["waiting"][0]["query"]
    finally:
        holder.rollback()
        th.join(25)
        holder.close()
        ddl.close()


def test_connection_saturation_hit_and_near_miss(plain_db):
    my, db = plain_db
    assert not findings(report(my.dsn(db)), "connection_saturation")
    extra = []
    my.run(None, "SET GLOBAL max_connections = 12")
    try:
        while int(my.scalar("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                            "WHERE VARIABLE_NAME = 'THREADS_CONNECTED'")) < 10:
            extra.append(_connect(my))
        rep = report(my.dsn(db))
        hit = findings(rep, "connection_saturation")
        assert len(hit) == 1
        assert hit[0].evidence["max_connections"] == 12 and hit[0].evidence["threads_connected"] >= 10
        assert hit[0].severity in ("warning", "critical") and hit[0].object == {"setting": "max_connections"}
    finally:
        for conn in extra:
            conn.close()
        my.run(None, "SET GLOBAL max_connections = 151")
