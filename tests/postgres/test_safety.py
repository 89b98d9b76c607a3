"""What a careful user relies on: bad input fails cleanly, least privilege works, no user data is read,
and a healthy database is left alone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dbxray.demo.sandbox import PostgresSandbox, find_postgres_bindir
from tests.postgres.helpers import report, user_table_counters
from tests.servers import RESET_THIS_DATABASE

DBXRAY = [str(Path(sys.executable).with_name("dbxray"))]
SECRET = "s3cr3t-Pa55"


def run_cli(*args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DATABASE_URL", None) if "DATABASE_URL" not in (env or {}) else None
    return subprocess.run([*DBXRAY, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def assert_one_clean_line(result: subprocess.CompletedProcess, *must_contain: str) -> str:
    assert result.returncode != 0
    err = result.stderr.strip()
    assert err.count("\n") == 0, err
    assert "Traceback" not in err + result.stdout
    assert SECRET not in err + result.stdout
    for text in must_contain:
        assert text in err, err
    return err


@pytest.fixture(scope="module")
def pg_auth():
    """A server that checks passwords over TCP (scram-sha-256)."""
    if find_postgres_bindir() is None:
        pytest.skip("needs PostgreSQL server binaries for a throwaway cluster with password authentication")
    with PostgresSandbox(preload=("pg_stat_statements",), fast=True, host_auth="scram-sha-256") as sandbox:
        sandbox.psql(f"CREATE ROLE app LOGIN PASSWORD '{SECRET}'")
        sandbox.psql("CREATE DATABASE shop OWNER app")
        yield sandbox


def test_malformed_dsn():
    err = assert_one_clean_line(run_cli("report", "--dsn", f"host=x port=notaport password={SECRET}"),
                                "malformed PostgreSQL DSN")
    assert "port" in err


def test_unsupported_scheme():
    assert_one_clean_line(run_cli("report", "--dsn", f"oracle://scott:{SECRET}@db/orcl"), "unsupported DSN scheme")


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert_one_clean_line(run_cli("report", "--dsn", f"postgresql://app:{SECRET}@127.0.0.1:{port}/shop"),
                          "connection refused")


def test_host_that_never_answers_is_bounded_by_connect_timeout():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts TCP connections, never speaks
    port = silent.getsockname()[1]
    try:
        started = time.monotonic()
        result = run_cli("report", "--connect-timeout", "2", "--dsn",
                         f"postgresql://app:{SECRET}@127.0.0.1:{port}/shop")
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert_one_clean_line(result, "cannot reach")
    assert elapsed < 15


def test_wrong_password(pg_auth):
    assert_one_clean_line(run_cli("report", "--dsn", f"postgresql://app:{SECRET}x@127.0.0.1:{pg_auth.port}/shop"),
                          "authentication failed for user 'app'")


def test_right_password_is_never_echoed(pg_auth):
    result = run_cli("report", "--format", "json", "--allow-partial", "--dsn",
                     f"postgresql://app:{SECRET}@127.0.0.1:{pg_auth.port}/shop")
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert json.loads(result.stdout)["target"]["database"] == "shop"


def test_password_from_environment_and_dsn_from_database_url(pg_auth):
    result = run_cli("report", "--format", "json", "--allow-partial",
                     env={"DATABASE_URL": f"postgresql://app@127.0.0.1:{pg_auth.port}/shop", "PGPASSWORD": SECRET})
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_database_that_does_not_exist(pg):
    assert_one_clean_line(run_cli("report", "--dsn", pg.dsn("no_such_db")), "database 'no_such_db' does not exist")


def test_server_without_pg_stat_statements_gives_report_and_one_line(pg_plain):
    result = run_cli("report", "--format", "json", "--dsn", pg_plain.dsn("postgres"))
    assert result.returncode == 4
    assert_one_clean_line(result, "pg_stat_statements is not available")
    data = json.loads(result.stdout)  # the report is still written, complete for everything else
    assert any(f["check"] == "extension_missing" for f in data["findings"])
    assert data["summary"]["incomplete"]


@pytest.fixture
def monitored(pg_db):
    pg, name = pg_db
    pg.run(name, f"""
        CREATE EXTENSION pg_stat_statements;
        CREATE TABLE items (id int PRIMARY KEY, sku text, qty int);
        INSERT INTO items SELECT g, 'sku' || g, g % 7 FROM generate_series(1, 20000) g;
        ANALYZE items;
        DROP ROLE IF EXISTS watcher;
        CREATE ROLE watcher LOGIN;
        GRANT pg_monitor TO watcher;
        GRANT CONNECT ON DATABASE {name} TO watcher;
    """)
    yield pg, name
    pg.drop_database(name)
    with pg.connect() as conn:
        conn.execute("DROP ROLE IF EXISTS watcher")


def test_pg_monitor_role_gets_a_full_report_and_clear_notes(monitored):
    pg, name = monitored
    with pg.connect(name) as conn:
        for i in range(5):
            conn.execute("SELECT qty FROM items WHERE sku = %s", (f"sku{i}",))
    result = run_cli("report", "--format", "json", "--dsn", pg.dsn(name, user="watcher"))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    status = {c["name"]: c for c in data["collection"]["collectors"]}
    for collector in ("statements", "tables", "indexes", "activity", "locks", "sequences", "database"):
        assert status[collector]["status"] == "ok", status[collector]
    assert status["hba_rules"]["status"] == "skipped" and "superuser" in status["hba_rules"]["detail"]
    assert any("sku = $1" in s["query"] for s in data["summary"]["statements"])  # pg_read_all_stats
    notes = " ".join(data["summary"]["notes"])
    assert "pg_stats shows nothing" in notes  # detected: pg_stats silently empty without SELECT


def test_report_reads_no_user_data(monitored):
    pg, name = monitored
    pg.run(name, "CREATE TABLE other (id int PRIMARY KEY); INSERT INTO other SELECT generate_series(1, 100)")
    with pg.connect(name) as conn:
        before = user_table_counters(conn)
    for user in (None, "watcher"):
        assert run_cli("report", "--format", "json", "--dsn", pg.dsn(name, user=user)).returncode == 0
    time.sleep(0.6)  # let the finished sessions' statistics reach the shared counters
    with pg.connect(name) as conn:
        after = user_table_counters(conn)
    assert before and after == before


def test_a_healthy_database_gets_no_warning_about_its_tables(pg_db):
    pg, name = pg_db
    pg.run(name, """
        CREATE EXTENSION pg_stat_statements;
        CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE,
                                created_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                             customer_id bigint NOT NULL REFERENCES customers(id),
                             status text NOT NULL, total numeric(10, 2) NOT NULL,
                             created_at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX orders_customer_created ON orders (customer_id, created_at);
        CREATE INDEX orders_open ON orders (created_at) WHERE status = 'open';
        INSERT INTO customers (email) SELECT 'c' || g || '@shop.io' FROM generate_series(1, 20000) g;
        INSERT INTO orders (customer_id, status, total, created_at)
          SELECT 1 + g % 20000, CASE WHEN g % 50 = 0 THEN 'open' ELSE 'done' END, g % 500,
                 now() - (g % 1000) * interval '1 hour'
          FROM generate_series(1, 100000) g;
    """)
    pg.run(name, "VACUUM ANALYZE")
    with pg.connect(name) as conn:
        conn.execute(RESET_THIS_DATABASE)
        for i in range(300):
            cid = 1 + (i * 37) % 20000
            conn.execute("SELECT * FROM customers WHERE id = %s", (cid,)).fetchall()
            conn.execute("SELECT id, total FROM orders WHERE customer_id = %s ORDER BY created_at DESC LIMIT 10",
                         (cid,)).fetchall()
            if i % 10 == 0:
                conn.execute("SELECT count(*) FROM orders WHERE status = 'open' AND created_at > now() - %s::interval",
                             ("7 days",)).fetchone()
                conn.execute("INSERT INTO orders (customer_id, status, total) VALUES (%s, 'open', 10)", (cid,))
                conn.execute("UPDATE orders SET status = 'done' WHERE id = (SELECT max(id) FROM orders)")
    rep = report(pg.dsn(name), unused_index={"min_stats_days": 0})
    about_tables = [f for f in rep.findings if f.object.get("table") in ("customers", "orders")
                    and f.severity in ("warning", "critical")]
    assert about_tables == []
    assert not [f for f in rep.findings if f.check in ("slow_query", "temp_spill", "n_plus_one", "full_table_scan")]


def test_collectors_cut_off_by_the_statement_timeout_still_give_a_report(pg_db):
    """A catalog another session holds locked: every collector waits, is cancelled at the statement
    timeout, and the report says so instead of hanging or crashing (exit 4: incomplete)."""
    pg, name = pg_db
    with pg.connect(name) as holder:
        holder.autocommit = False
        holder.execute("LOCK TABLE pg_catalog.pg_statistic IN ACCESS EXCLUSIVE MODE")  # planning needs it
        started = time.monotonic()
        result = run_cli("report", "--format", "json", "--statement-timeout", "0.2", "--dsn", pg.dsn(name))
        elapsed = time.monotonic() - started
        holder.rollback()
    assert result.returncode == 4
    err = assert_one_clean_line(result, "cut off by the statement timeout")
    assert "tables" in err and "indexes" in err
    data = json.loads(result.stdout)
    status = {c["name"]: c["status"] for c in data["collection"]["collectors"]}
    assert status["tables"] == status["indexes"] == "timeout"
    skipped = {c["name"]: c["detail"] for c in data["collection"]["collectors"] if c["status"] == "skipped"}
    assert "could not tell" in skipped["statements"]  # not a false "not installed"
    assert not [f for f in data["findings"] if f["check"] == "extension_missing"]
    assert elapsed < 30
