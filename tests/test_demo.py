"""``dbxray demo`` end to end: the real command, a real throwaway server, the planted problems found.

One demo run (module fixture) serves the findings tests; ``--keep``, Ctrl-C and missing
binaries each get their own run because each ends the server differently.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from dbxray.demo.sandbox import find_postgres_bindir

DBXRAY = str(Path(sys.executable).with_name("dbxray"))

needs_pg = pytest.mark.skipif(find_postgres_bindir() is None, reason="no PostgreSQL server binaries here")


def _server_of(stderr: str) -> tuple[int, Path]:
    m = re.search(r"server on port (\d+), data in (\S+)", stderr)
    assert m, f"no server line in stderr:\n{stderr}"
    return int(m.group(1)), Path(m.group(2))


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _kill_postmaster(root: Path) -> None:
    pid_file = root / "data" / "postmaster.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)


@pytest.fixture(scope="module")
def demo_run():
    if find_postgres_bindir() is None:
        pytest.skip("no PostgreSQL server binaries here")
    proc = subprocess.run([DBXRAY, "demo", "--format", "json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def findings(demo_run):
    return demo_run[1]["findings"]


def _matching(findings, check, **obj):
    return [f for f in findings if f["check"] == check and all(f["object"].get(k) == v for k, v in obj.items())]


# (check, object keys that identify the planted object) -> found, at warning or worse
PLANTED = [
    ("missing_fk_index", {"table": "order_items", "columns": ["order_id"]}),
    ("redundant_index", {"table": "orders", "index": "orders_status_idx"}),
    ("unused_index", {"table": "orders", "index": "orders_tracking_number_idx"}),
    ("invalid_index", {"table": "customers", "index": "customers_phone_key"}),
    ("missing_primary_key", {"table": "audit_log"}),
    ("sequence_exhaustion", {"sequence": "cart_events_id_seq", "table": "cart_events", "columns": ["id"]}),
    ("vacuum_overdue", {"table": "inventory"}),
    ("table_bloat", {"table": "inventory"}),
    ("n_plus_one", {"table": "products", "columns": ["id"]}),
    ("superuser_role", {"role": "deploy_admin"}),
    ("setting", {"setting": "work_mem"}),
]


@pytest.mark.parametrize(("check", "obj"), PLANTED, ids=[p[0] for p in PLANTED])
def test_planted_problem_is_found(findings, check, obj):
    hits = _matching(findings, check, **obj)
    assert hits, f"{check} {obj} not found; {check} findings: {[f['object'] for f in findings if f['check'] == check]}"
    assert all(f["severity"] in ("warning", "critical") for f in hits)
    assert all(f["source"] == "rules" for f in hits)


def test_slow_order_history_is_the_top_slow_query(findings):
    slow = [f for f in findings if f["check"] == "slow_query"]
    history = [f for f in slow if "FROM orders WHERE customer_id = $1" in f["evidence"]["query"]]
    assert history, [f["evidence"]["query"] for f in slow]
    assert history[0]["evidence"]["calls"] >= 100
    # the unindexed foreign key makes the order-detail page slow too
    assert any("FROM order_items WHERE order_id = $1" in f["evidence"]["query"] for f in slow)


def test_duplicate_payment_index_pair(findings):
    dup = _matching(findings, "duplicate_index", table="payments")
    assert len(dup) == 1
    pair = {dup[0]["object"]["index"], dup[0]["evidence"]["duplicate_of"]}
    assert pair == {"payments_order_id_idx", "payments_order_id_idx1"}
    assert dup[0]["sql"].startswith("DROP INDEX CONCURRENTLY")


def test_reports_spill_to_temp_files(findings):
    spills = [f["evidence"]["query"] for f in findings if f["check"] == "temp_spill"]
    assert any("GROUP BY customer_id" in q for q in spills), spills


def test_live_incidents_are_reported(findings):
    idle_apps = {f["evidence"]["application"] for f in findings if f["check"] == "idle_in_transaction"}
    assert {"shop-admin-console", "shop-refund-job"} <= idle_apps
    locks = [f for f in findings if f["check"] == "lock_contention"]
    assert len(locks) == 1
    blocked = locks[0]["evidence"]["blocked"]
    assert len(blocked) == 1 and "UPDATE payments" in blocked[0]["query"]
    assert "UPDATE payments" in locks[0]["evidence"]["blocker_query"]


def test_index_advisor_names_the_missing_indexes(findings):
    """The report's index advice (HypoPG-proven where installed): order history needs orders(customer_id, …),
    the order-detail page needs order_items(order_id)."""
    hits = [f for f in findings if f["check"] == "missing_index"]
    leading = {(f["object"].get("table"), f["object"]["columns"][0]) for f in hits if f["object"].get("columns")}
    assert {("orders", "customer_id"), ("order_items", "order_id")} <= leading, hits
    assert all(f["sql"].startswith("CREATE INDEX CONCURRENTLY") for f in hits)


def test_healthy_parts_of_the_shop_stay_quiet(findings):
    """Near-miss: what the shop does right is not reported."""
    serious = [f for f in findings if f["severity"] in ("warning", "critical")]
    used_indexes = {"order_items_product_id_idx", "orders_status_created_at_idx", "audit_log_logged_at_idx",
                    "inventory_pkey", "customers_email_key"}
    assert not [f for f in serious if f["check"] in ("unused_index", "redundant_index", "duplicate_index")
                and f["object"].get("index") in used_indexes]
    # foreign keys with an index: order_items.product_id, payments.order_id, inventory, cart_events
    fk_tables = {(f["object"]["table"], tuple(f["object"]["columns"])) for f in findings
                 if f["check"] == "missing_fk_index"}
    assert fk_tables <= {("order_items", ("order_id",)), ("orders", ("customer_id",))}
    assert {f["object"]["table"] for f in findings if f["check"] == "missing_primary_key"} == {"audit_log"}
    assert {f["object"]["table"] for f in serious if f["check"] in ("vacuum_overdue", "table_bloat",
                                                                      "analyze_overdue")} == {"inventory"}
    # single-row lookups by primary key are fast, whatever their count
    assert not [f for f in findings if f["check"] == "slow_query" and "WHERE id = $1" in f["evidence"]["query"]]
    assert {f["object"]["role"] for f in findings if f["check"] == "superuser_role"} == {"deploy_admin"}


def test_report_says_what_the_demo_changed(demo_run):
    _, report = demo_run
    assert report["target"]["database"] == "shop"
    notes = " ".join(report["summary"]["notes"])
    assert "idle_in_transaction.warn_s = 1" in notes and "lowered" in notes


def test_progress_on_stderr_and_server_gone_afterwards(demo_run):
    proc, _ = demo_run
    lines = proc.stderr.strip().splitlines()
    assert lines and all(line.startswith("dbxray demo:") for line in lines), lines
    assert any("seeding the shop" in line for line in lines)
    assert any("workload" in line for line in lines)
    port, root = _server_of(proc.stderr)
    assert not root.exists()
    assert not _port_open(port)


@needs_pg
def test_keep_leaves_a_working_server_and_says_how_to_stop_it():
    proc = subprocess.run([DBXRAY, "demo", "--keep", "--seconds", "1", "--format", "json", "--fail-on", "critical"],
                          capture_output=True, text=True, timeout=300)
    port, root = _server_of(proc.stderr)
    stop = re.search(r"stop it with: (.+)", proc.stderr)
    try:
        # the planted sequence and the never-vacuumed table are critical: --fail-on works as in report
        assert proc.returncode == 1, proc.stderr
        assert json.loads(proc.stdout)["summary"]["findings"]["critical"] >= 1
        dsn = re.search(r"keeps running: (\S+)", proc.stderr).group(1)
        assert str(port) in dsn
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] >= 200000
        assert stop, proc.stderr
        subprocess.run(stop.group(1), shell=True, check=True, capture_output=True, timeout=120)
        assert not root.exists()
        assert not _port_open(port)
    finally:
        if root.exists():  # the test failed: do not leave the server behind
            if stop:
                subprocess.run(stop.group(1), shell=True, capture_output=True, timeout=120)
            _kill_postmaster(root)


# Ctrl-C at several points of the demo, under load: tests/test_trust_interrupts.py


def test_without_postgres_binaries_one_line_and_exit_2():
    code = ("import sys, dbxray.demo.sandbox as s; s.find_postgres_bindir = lambda: None; "
            "sys.argv = ['dbxray', 'demo']; from dbxray.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "apt-get install postgresql" in lines[0] and "docker/compose.yaml" in lines[0]
    assert proc.stdout == ""


def test_seed_reusable_on_a_shared_server(pg_db):
    """``seed(conn, cluster=False)``: the shop in a test's fresh database, nothing server-wide created."""
    from dbxray.demo.shop import seed

    server, name = pg_db
    with server.connect() as admin:
        roles_before = admin.execute("SELECT array_agg(rolname ORDER BY rolname) FROM pg_roles").fetchone()[0]
    conn = psycopg.connect(server.dsn(name))  # not autocommit: seed must cope
    try:
        conn.execute("SELECT 1")
        seed(conn, cluster=False)
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 200000
        assert conn.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone()[0] == 1
        assert conn.execute("SELECT reloptions FROM pg_class WHERE relname = 'inventory'").fetchone()[0] == \
            ["autovacuum_enabled=false"]
        assert conn.execute("SELECT setting FROM pg_settings WHERE name = 'work_mem'").fetchone()[0] == "4096"
        if "pg_stat_statements" in server.preloaded:
            # the seeding's own statements were forgotten: the report shows the workload only
            seeded = conn.execute("SELECT count(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
                                  "WHERE datname = current_database()) AND query LIKE 'INSERT INTO%'").fetchone()[0]
            assert seeded == 0
    finally:
        conn.close()
    with psycopg.connect(server.dsn(name)) as fresh:  # the database-level work_mem applies to new sessions
        assert fresh.execute("SHOW work_mem").fetchone()[0] == "1MB"
    with server.connect() as admin:
        assert admin.execute("SELECT array_agg(rolname ORDER BY rolname) FROM pg_roles").fetchone()[0] == roles_before
