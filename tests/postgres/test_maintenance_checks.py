"""Vacuum, analyze, bloat and wraparound checks on real tables."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from dbxray.demo.sandbox import PostgresSandbox, _run_as
from tests.postgres.helpers import findings, flush_stats, report
from tests.servers import needs_pg_binaries


def test_vacuum_overdue_when_autovacuum_is_off_and_fix_turns_it_back_on(pg_db):
    pg, name = pg_db
    pg.run(name, """
        CREATE TABLE events (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = false);
        INSERT INTO events SELECT g, md5(g::text) FROM generate_series(1, 50000) g;
        CREATE TABLE healthy (id int PRIMARY KEY, payload text);
        INSERT INTO healthy SELECT g, md5(g::text) FROM generate_series(1, 50000) g;
        ANALYZE;
    """)
    with pg.connect(name) as conn:
        conn.execute("DELETE FROM events WHERE id % 5 < 2")  # 40% dead
        conn.execute("DELETE FROM healthy WHERE id % 50 = 0")  # 2% dead
        flush_stats(conn)
    rep = report(pg.dsn(name))
    (f,) = findings(rep, "vacuum_overdue")
    assert f.object["table"] == "events"
    assert f.evidence["n_dead_tup"] == 20000 and f.evidence["autovacuum_enabled"] is False
    assert f.sql.splitlines() == ["ALTER TABLE public.events RESET (autovacuum_enabled);",
                                  "VACUUM (ANALYZE, VERBOSE) public.events;"]
    with pg.connect(name) as conn:
        for stmt in f.sql.splitlines():
            conn.execute(stmt)
    assert not findings(report(pg.dsn(name)), "vacuum_overdue")


def test_analyze_overdue_for_never_analysed_and_heavily_changed_tables(pg_db):
    pg, name = pg_db
    pg.run(name, """
        CREATE TABLE never (id int) WITH (autovacuum_enabled = false);
        INSERT INTO never SELECT generate_series(1, 20000);
        CREATE TABLE changed (id int) WITH (autovacuum_enabled = false);
        INSERT INTO changed SELECT generate_series(1, 20000);
        CREATE TABLE fresh (id int) WITH (autovacuum_enabled = false);
        INSERT INTO fresh SELECT generate_series(1, 20000);
    """)
    pg.run(name, "ANALYZE fresh")  # its own transaction, after the insert is committed
    pg.run(name, "ANALYZE changed")
    pg.run(name, "INSERT INTO changed SELECT generate_series(1, 30000)")
    with pg.connect(name) as conn:
        flush_stats(conn)
    rep = report(pg.dsn(name))
    by_table = {f.object["table"]: f for f in findings(rep, "analyze_overdue")}
    assert set(by_table) == {"never", "changed"}
    assert "never been analysed" in by_table["never"].title
    assert by_table["changed"].evidence["n_mod_since_analyze"] == 30000
    assert by_table["never"].sql == "ANALYZE VERBOSE public.never;"


def test_table_bloat_estimated_from_statistics_not_for_fresh_table(pg_db):
    pg, name = pg_db
    pg.run(name, """
        CREATE TABLE churn (id int PRIMARY KEY, qty int, note text) WITH (autovacuum_enabled = false);
        INSERT INTO churn SELECT g, 0, repeat('n', 60) FROM generate_series(1, 40000) g;
        CREATE TABLE fresh (id int PRIMARY KEY, qty int, note text);
        INSERT INTO fresh SELECT g, 0, repeat('n', 60) FROM generate_series(1, 40000) g;
        CREATE TABLE packed (id int PRIMARY KEY, qty int, note text) WITH (fillfactor = 50);
        INSERT INTO packed SELECT g, 0, repeat('n', 60) FROM generate_series(1, 40000) g;
    """)
    with pg.connect(name) as conn:
        for _ in range(3):
            conn.execute("UPDATE churn SET qty = qty + 1")
        conn.execute("VACUUM ANALYZE churn")  # dead rows gone, the space stays inside the table
        conn.execute("ANALYZE fresh")
        conn.execute("ANALYZE packed")
    rep = report(pg.dsn(name), table_bloat={"min_bytes": 1048576})
    hits = findings(rep, "table_bloat")
    assert [f.object["table"] for f in hits] == ["churn"]  # fillfactor 50 is intended free space, not bloat
    assert 60 <= hits[0].evidence["bloat_pct"] <= 85
    assert hits[0].evidence["estimate"].startswith("statistics")


def test_no_bloat_finding_below_size_threshold(pg_db):
    pg, name = pg_db
    pg.run(name, """
        CREATE TABLE churn (id int PRIMARY KEY, qty int) WITH (autovacuum_enabled = false);
        INSERT INTO churn SELECT g, 0 FROM generate_series(1, 20000) g;
        UPDATE churn SET qty = 1; UPDATE churn SET qty = 2;
    """)
    pg.run(name, "VACUUM ANALYZE churn")
    assert not findings(report(pg.dsn(name)), "table_bloat")  # ~2 MB: under the 10 MB default


def _burn_xids_to(sandbox: PostgresSandbox, next_xid: int) -> None:
    """Move the cluster's next transaction ID forward with pg_resetwal (and the commit-log segment it needs)."""
    sandbox._run(str(sandbox.bindir / "pg_ctl"), "-D", str(sandbox.datadir), "-m", "fast", "-w", "stop")
    segment = Path(sandbox.datadir, "pg_xact", f"{next_xid // (32768 * 32):04X}")
    segment.write_bytes(b"\0" * 262144)
    import os
    import pwd

    pw = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    if pw:
        os.chown(segment, pw.pw_uid, pw.pw_gid)
    result = subprocess.run([str(sandbox.bindir / "pg_resetwal"), "-x", str(next_xid), "-D", str(sandbox.datadir)],
                            capture_output=True, text=True, **_run_as(sandbox.os_user))
    assert result.returncode == 0, result.stderr
    sandbox._run(str(sandbox.bindir / "pg_ctl"), "-D", str(sandbox.datadir), "-l",
                 str(sandbox.root / "server.log"), "-w", "start")


@needs_pg_binaries
@pytest.mark.slow
def test_xid_wraparound_risk_on_a_cluster_aged_to_1_2_billion_transactions():
    with PostgresSandbox(preload=(), fast=True, settings={"autovacuum": "off",
                         # keep anti-wraparound autovacuum from freezing everything right after the jump
                         "autovacuum_freeze_max_age": "2000000000"}) as sandbox:
        with psycopg.connect(sandbox.dsn(), autocommit=True) as conn:
            conn.execute("CREATE TABLE ledger (id int PRIMARY KEY)")
            conn.execute("INSERT INTO ledger SELECT generate_series(1, 100)")
        healthy = report(sandbox.dsn())
        assert not findings(healthy, "xid_wraparound_risk")  # near-miss: young cluster
        _burn_xids_to(sandbox, 1_200_000_000)
        rep = report(sandbox.dsn())
        hits = findings(rep, "xid_wraparound_risk", table="ledger")
        assert len(hits) == 1
        f = hits[0]
        assert f.severity == "warning"  # ~56% of the limit: warning at 50%, critical at 80%
        assert 50 <= f.evidence["pct_of_limit"] < 80
        assert f.sql == "VACUUM (FREEZE, VERBOSE) public.ledger;"
        with psycopg.connect(sandbox.dsn(), autocommit=True) as conn:
            conn.execute(f.sql)
        after = report(sandbox.dsn())
        assert not findings(after, "xid_wraparound_risk", table="ledger")
