"""Faults during a report, on real servers: a user table locked, half the collectors cut off by the
statement timeout, dbxray's own session terminated (``pg_terminate_backend``, MariaDB ``KILL``), the
server restarted mid-report, the server at ``max_connections``.

Each: one clean line on stderr, a partial report where anything was collected, the right exit code
(4 incomplete, 2 cannot connect), never a traceback, and nothing of dbxray's left on the server
(no session, so no prepared statement and no hypothetical index either: both are per session).
The moment of each fault is found on the server (``pg_stat_activity`` / the processlist shows
dbxray's statement running), never guessed from a delay.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from dbxray.demo.sandbox import PostgresSandbox, find_postgres_bindir

DBXRAY = str(Path(sys.executable).with_name("dbxray"))
needs_pg = pytest.mark.skipif(find_postgres_bindir() is None, reason="needs PostgreSQL server binaries")


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([DBXRAY, "report", "--format", "json", "--no-progress", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out, err


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def _dbxray_sessions(dsn: str) -> list:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT pid, state, left(query, 60) FROM pg_stat_activity "
                            "WHERE application_name = 'dbxray' AND pid <> pg_backend_pid()").fetchall()


def _no_session_left(dsn: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while _dbxray_sessions(dsn) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _dbxray_sessions(dsn) == []


def _wait_active(dsn: str, proc: subprocess.Popen, pattern: str = ".", timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while proc.poll() is None and time.monotonic() < deadline:
            if conn.execute("SELECT 1 FROM pg_stat_activity WHERE application_name = 'dbxray' AND state = 'active' "
                            "AND query ~* %s", (pattern,)).fetchone():
                return True
            time.sleep(0.002)
    return False


@pytest.fixture(scope="module")
def db(pg):
    name = pg.new_database("faults")
    pg.run(name, """
        CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total int);
        INSERT INTO orders SELECT g, g % 5000, g % 700 FROM generate_series(1, 100000) g;
        ANALYZE orders;
    """)
    with pg.connect(name) as conn:
        for i in range(150):
            conn.execute("SELECT id, total FROM orders WHERE customer_id = %s", (i,)).fetchall()
    yield pg, name
    pg.drop_database(name)


def test_a_locked_user_table(db):
    """ACCESS EXCLUSIVE on the busiest table: what needs the table (its size for the indexes collector, the
    plans of its statements) waits at most the lock timeout, the rest is reported, and the line says
    which part is missing."""
    pg, name = db
    dsn = pg.dsn(name)
    with pg.connect(name) as holder:
        holder.autocommit = False
        holder.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        code, out, err = _finish(_start("--dsn", dsn))
        took = time.monotonic() - started
        holder.rollback()
    assert code in (0, 4), err
    data = json.loads(out)
    status = {c["name"]: c["status"] for c in data["collection"]["collectors"]}
    assert status["settings"] == status["activity"] == status["statements"] == "ok"
    if code == 4:
        assert "lock timeout" in _one_line(err)
    else:
        assert err.strip() == ""
    assert took < 120
    _no_session_left(dsn)


def test_half_the_collectors_cut_off_by_the_statement_timeout(db):
    """pg_constraint, pg_depend and pg_auth_members locked: the collectors that read them (the indexes, the
    foreign keys, the sequences and the roles; locking more catalogs, such as pg_statistic, would stop the
    planner itself for every statement)
    wait and are cancelled at --statement-timeout; the others run. Partial report, exit 4, the cut-off
    ones named. (Catalogs a new backend needs at start, such as pg_index, would fail the connection
    itself: exit 2, one line, tested by the lock tests in tests/pg.)"""
    pg, name = db
    dsn = pg.dsn(name)
    with pg.connect(name) as holder:
        holder.autocommit = False
        holder.execute("LOCK TABLE pg_catalog.pg_constraint, pg_catalog.pg_depend, pg_catalog.pg_auth_members "
                       "IN ACCESS EXCLUSIVE MODE")
        code, out, err = _finish(_start("--statement-timeout", "0.3", "--dsn", dsn))
        holder.rollback()
    assert code == 4, err
    assert "cut off by the statement timeout" in _one_line(err)
    data = json.loads(out)
    status = {c["name"]: c["status"] for c in data["collection"]["collectors"]}
    timed_out = sorted(n for n, s in status.items() if s == "timeout")
    ran = sorted(n for n, s in status.items() if s == "ok")
    assert {"indexes", "foreign_keys", "roles", "sequences"} <= set(timed_out), status
    assert len(ran) >= 8 and {"settings", "activity", "statements"} <= set(ran), status
    assert all(n in err for n in timed_out)
    assert data["summary"]["incomplete"]
    _no_session_left(dsn)


def test_own_session_terminated(db):
    pg, name = db
    dsn = pg.dsn(name)
    proc = _start("--dsn", dsn)
    assert _wait_active(dsn, proc)
    with pg.connect(name) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dbxray'")
    code, out, err = _finish(proc)
    assert code == 4, err
    line = _one_line(err)
    assert "connection to the server was lost" in line
    data = json.loads(out)  # what was collected before is reported
    assert data["summary"]["incomplete"]
    assert not [f for f in data["findings"] if f["check"] == "extension_missing"
                and f["object"].get("extension") == "pg_stat_statements"]  # it was cut off, not missing
    _no_session_left(dsn)


@needs_pg
def test_server_restarted_mid_report():
    with PostgresSandbox(fast=True) as box:
        box.psql("CREATE DATABASE shop")
        box.psql("CREATE EXTENSION pg_stat_statements; "
                 "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g",
                 "shop")
        dsn = box.dsn("shop")
        proc = _start("--dsn", dsn)
        assert _wait_active(dsn, proc)
        box._run(str(box.bindir / "pg_ctl"), "-D", str(box.datadir), "-m", "fast", "-w", "restart",
                 "-l", str(box.root / "server.log"))
        code, out, err = _finish(proc)
        assert code == 4, err
        assert "connection to the server was lost" in _one_line(err)
        assert json.loads(out)["summary"]["incomplete"]
        _no_session_left(dsn)


@needs_pg
def test_server_at_max_connections():
    with PostgresSandbox(fast=True, settings={"max_connections": "6", "superuser_reserved_connections": "1"}) as box:
        dsn = box.dsn("postgres")
        held = []
        try:
            while True:
                try:
                    held.append(psycopg.connect(dsn, autocommit=True, connect_timeout=5))
                except psycopg.OperationalError:
                    break
                assert len(held) < 20
            code, out, err = _finish(_start("--dsn", dsn))
        finally:
            for conn in held:
                conn.close()
        assert code == 2, err
        line = _one_line(err)
        assert line.startswith("dbxray: error:") and "too many clients" in line, line
        assert out == ""
        _no_session_left(dsn)


# -- MariaDB ---------------------------------------------------------------------------------------

def _maria_sessions(my) -> list:
    return [r for r in _processlist(my) if r[1] == "dbxray"]


def _processlist(my) -> list:
    with my.admin() as conn, conn.cursor() as cur:
        cur.execute("SELECT p.ID, a.ATTR_VALUE, p.INFO FROM information_schema.PROCESSLIST p "
                    "LEFT JOIN performance_schema.session_connect_attrs a "
                    "ON a.PROCESSLIST_ID = p.ID AND a.ATTR_NAME = 'program_name' WHERE p.ID <> CONNECTION_ID()")
        return list(cur.fetchall())


def test_mariadb_own_session_killed(my):
    name = my.new_database("faults")
    try:
        my.run(name, "CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t SELECT seq, seq FROM seq_1_to_1000")
        proc = _start("--dsn", my.dsn(name))
        killed = False
        deadline = time.monotonic() + 120
        with my.admin() as conn, conn.cursor() as cur:
            while proc.poll() is None and time.monotonic() < deadline and not killed:
                # a collector's statement (its file starts with the header), not the session's preparation:
                # a session killed while it is being prepared is a connection failure (exit 2), tested apart
                cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '/* dbxray */ -- metric:%' "
                            "AND ID <> CONNECTION_ID() LIMIT 1")
                row = cur.fetchone()
                if row:
                    cur.execute(f"KILL {int(row[0])}")
                    killed = True
        code, out, err = _finish(proc)
        if not killed:
            pytest.skip("the report finished before its session could be caught running a statement")
        assert code == 4, err
        line = _one_line(err)
        assert "connection to the server was lost" in line, line
        assert json.loads(out)["summary"]["incomplete"]
        deadline = time.monotonic() + 20
        while _maria_sessions(my) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _maria_sessions(my) == []
    finally:
        my.drop_database(name)
