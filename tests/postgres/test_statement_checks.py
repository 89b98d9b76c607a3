"""Statement checks from pg_stat_statements, with workloads run through the driver."""

from __future__ import annotations

import pytest

from dbxray.connect import connect
from dbxray.pipeline import live_report
from tests.postgres.helpers import findings, report
from tests.servers import RESET_THIS_DATABASE


@pytest.fixture
def shop(pg_db):
    pg, name = pg_db
    pg.run(name, """
        CREATE EXTENSION pg_stat_statements;
        CREATE TABLE customers (id int PRIMARY KEY, name text, city int);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric, note text);
        INSERT INTO customers SELECT g, 'c' || g, g % 100 FROM generate_series(1, 5000) g;
        INSERT INTO orders SELECT g, 1 + g % 5000, g % 997, repeat('x', 40) FROM generate_series(1, 100000) g;
        ANALYZE;
    """)
    with pg.connect(name) as conn:
        conn.execute(RESET_THIS_DATABASE)
    return pg, name


def test_slow_query_found_for_unindexed_filter_but_not_for_indexed_lookup(shop):
    pg, name = shop
    with pg.connect(name) as conn:
        for i in range(120):
            conn.execute("SELECT sum(amount) FROM orders WHERE customer_id = %s", (i + 1,))  # seq scan
            conn.execute("SELECT * FROM orders WHERE id = %s", (i + 1,))  # primary key lookup
    rep = report(pg.dsn(name), slow_query={"mean_ms": 1.0})
    hits = findings(rep, "slow_query")
    queries = [f.evidence["query"] for f in hits]
    assert any("customer_id = $1" in q for q in queries), queries
    assert not any("WHERE id = $1" in q for q in queries)
    slow = next(f for f in hits if "customer_id" in f.evidence["query"])
    assert slow.evidence["calls"] == 120 and slow.evidence["mean_ms"] >= 1.0
    assert slow.object["query_id"].lstrip("-").isdigit()
    assert f"dbxray explain --query-id {slow.object['query_id']}" in slow.recommendation


def test_slow_query_needs_enough_calls(shop):
    pg, name = shop
    with pg.connect(name) as conn:
        for i in range(20):
            conn.execute("SELECT sum(amount) FROM orders WHERE customer_id = %s", (i + 1,))
    rep = report(pg.dsn(name), slow_query={"mean_ms": 1.0})
    assert not [f for f in findings(rep, "slow_query") if "customer_id" in f.evidence["query"]]


def test_dbxray_never_reports_its_own_statements(shop):
    pg, name = shop
    pg.run(name, "CREATE EXTENSION IF NOT EXISTS hypopg")
    with pg.connect(name) as conn:
        for i in range(30):
            conn.execute("SELECT sum(amount) FROM orders WHERE customer_id = %s", (i,))
    for _ in range(2):  # the full live report: collectors, generic plans, HypoPG proofs
        with connect(pg.dsn(name)) as session:
            live_report(session)
    rep = report(pg.dsn(name), slow_query={"mean_ms": 0.0, "min_calls": 1})
    texts = " ".join(str(q) for q in rep.summary["statements"])
    for own in ("BEGIN READ", "ROLLBACK", "dbxray_generic_plan", "hypopg_", "SHOW server_version", "set_config"):
        assert own not in texts
    for row in rep.summary["statements"]:
        # the collectors' own queries (pg_stat_statements s, pg_stat_user_tables, pg_settings, ...)
        for catalog in ("FROM pg_stat_statements s", "pg_stat_user_tables", "FROM pg_settings", "pg_locks"):
            assert catalog not in row["query"]
    assert not [f for f in findings(rep, "slow_query") if "pg_catalog" in f.evidence["query"]]


def test_temp_spill_found_with_small_work_mem_and_fix_sizes_work_mem(shop):
    pg, name = shop
    with pg.connect(name) as conn:
        conn.execute("SET work_mem = '64kB'")
        for _ in range(4):
            conn.execute("SELECT * FROM orders ORDER BY note, amount DESC, id").fetchall()
    rep = report(pg.dsn(name))
    (f,) = [f for f in findings(rep, "temp_spill") if "ORDER BY note" in f.evidence["query"]]
    assert f.evidence["temp_bytes_written"] >= 16 * 1048576
    assert f.object["role"] == "postgres"
    assert f.sql.startswith("ALTER ROLE postgres SET work_mem = '") and f.sql.endswith("MB';")


def test_no_temp_spill_when_work_mem_is_enough(shop):
    pg, name = shop
    with pg.connect(name) as conn:
        conn.execute("SET work_mem = '256MB'")
        for _ in range(4):
            conn.execute("SELECT * FROM orders ORDER BY note, amount DESC, id").fetchall()
    rep = report(pg.dsn(name))
    assert not findings(rep, "temp_spill")


def test_n_plus_one_found_and_linked_to_its_parent(shop):
    pg, name = shop
    with pg.connect(name) as conn:
        for _ in range(3):
            rows = conn.execute("SELECT id, customer_id FROM orders WHERE amount < %s LIMIT 500", (50,)).fetchall()
            for _order_id, customer_id in rows:
                conn.execute("SELECT name, city FROM customers WHERE id = %s", (customer_id,)).fetchone()
    rep = report(pg.dsn(name))
    (f,) = findings(rep, "n_plus_one", table="customers")
    assert f.object["columns"] == ["id"]
    assert f.evidence["calls"] >= 1000
    assert "amount < $1" in f.evidence["parent_query"]
    assert "ANY($1)" in f.recommendation


def test_a_few_lookups_are_not_n_plus_one(shop):
    pg, name = shop
    with pg.connect(name) as conn:
        for i in range(200):
            conn.execute("SELECT name FROM customers WHERE id = %s", (i + 1,)).fetchone()
        for _ in range(100):
            conn.execute("SELECT count(*) FROM customers WHERE city = %s", (3,)).fetchone()
    rep = report(pg.dsn(name))
    assert not findings(rep, "n_plus_one")


def test_full_table_scan_on_large_table_only(shop):
    pg, name = shop
    with pg.connect(name) as conn:
        for i in range(60):
            conn.execute("SELECT count(*) FROM orders WHERE note = %s", (str(i),))
            conn.execute("SELECT count(*) FROM customers WHERE name = %s", (str(i),))
        conn.execute("SELECT pg_stat_force_next_flush()")
    rep = report(pg.dsn(name))
    hits = findings(rep, "full_table_scan")
    assert [f.object["table"] for f in hits] == ["orders"]  # customers has 5,000 rows: below 10,000
    assert hits[0].evidence["seq_scan"] >= 60
