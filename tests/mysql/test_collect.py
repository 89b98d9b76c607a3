"""Collection on a real MariaDB: every collector runs, digests are the target database's only,
timers are converted from picoseconds, and dbxray never reads user rows."""

from __future__ import annotations

import re
import time

import pytest

from dbxray.config import Config
from dbxray.connect import connect
from dbxray.engines.mysql.advisor.catalog import columns_by_table
from dbxray.pipeline import analyze_snapshot, collect_snapshot
from tests.mysql.servers import report, workload


@pytest.fixture
def shop(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40), city INT, KEY ix_city (city));
        CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2), note TEXT,
                             KEY ix_customer (customer_id));
        INSERT INTO customers SELECT seq, CONCAT('c', seq), seq % 50 FROM seq_1_to_2000;
        INSERT INTO orders SELECT seq, 1 + seq % 2000, seq % 997, REPEAT('x', 30) FROM seq_1_to_20000;
        ANALYZE TABLE customers, orders;
    """)
    return my, db


def test_every_collector_runs_on_a_performance_schema_server(shop):
    my, db = shop
    snap = collect_snapshot(my.dsn(db))
    status = {c.name: (c.status, c.detail) for c in snap.collectors}
    for name in ("server", "settings", "status", "ps_setup", "database", "statements", "slow_log", "tables",
                 "indexes", "index_usage", "index_sizes", "columns", "foreign_keys", "activity", "transactions",
                 "lock_waits", "innodb_data"):
        assert status[name][0] == "ok", (name, status[name])
    tables = set(snap["tables"]["table"])
    assert tables == {"customers", "orders"}
    ix = snap["indexes"].set_index(["table", "index"])
    assert ix.loc[("orders", "ix_customer"), "columns"] == '["customer_id"]'
    assert bool(ix.loc[("orders", "PRIMARY"), "is_primary"]) and not bool(ix.loc[("orders", "ix_customer"),
                                                                                  "is_unique"])
    assert columns_by_table(snap)[(db, "orders")]["note"]["data_type"] == "text"
    assert len(snap["columns"]) == 2  # one row per table, its columns as a JSON array
    assert snap.meta["flavor"] == "mariadb" and snap.database == db


def test_digests_are_this_databases_only_md5_and_in_milliseconds(shop):
    my, db = shop
    started = time.monotonic()
    workload(my, db, [("SELECT SLEEP(0.05), COUNT(*) FROM orders WHERE amount > %s", (10,))], repeat=4)
    wall_ms = (time.monotonic() - started) * 1000
    snap = collect_snapshot(my.dsn(db))
    stmts = snap["statements"]
    assert set(stmts["schema"]) == {db}
    row = stmts[stmts["query"].str.contains("SLEEP")].iloc[0]
    assert re.fullmatch(r"[0-9a-f]{32}", row["queryid"])  # MariaDB digests are MD5
    assert row["calls"] == 4
    # picoseconds converted: each call slept 50 ms, and all four fit in the wall time we measured
    assert 50 <= row["mean_exec_ms"] < 1000
    assert 200 <= row["total_exec_ms"] <= wall_ms + 50
    assert row["rows_examined"] >= 4 * 20000 and row["rows"] == 4


def test_dbxray_never_reports_its_own_statements(shop):
    my, db = shop
    workload(my, db, [("SELECT name FROM customers WHERE id = %s", (7,))])
    for _ in range(2):
        report(my.dsn(db))
    rep = report(my.dsn(db), slow_query={"mean_ms": 0.0, "min_calls": 1})
    queries = [row["query"] for row in rep.summary["statements"]]
    assert any("`customers`" in q for q in queries), queries
    for q in queries:
        for ours in ("performance_schema", "information_schema", "@dbxray_db", "SET SESSION", "innodb_table_stats"):
            assert ours not in q, q
    for f in rep.findings:
        assert "information_schema" not in str(f.evidence.get("query", ""))


def test_the_report_reads_no_user_rows(shop):
    """performance_schema counts every row read from the user's tables: a report must not move them."""
    my, db = shop
    report(my.dsn(db))  # warm-up: opening tables for the catalog is not row I/O either
    sql = (f"SELECT OBJECT_NAME, COUNT_READ FROM performance_schema.table_io_waits_summary_by_table "
           f"WHERE OBJECT_SCHEMA = '{db}' ORDER BY OBJECT_NAME")
    with my.admin() as conn, conn.cursor() as cur:
        cur.execute(sql)
        before = cur.fetchall()
    report(my.dsn(db))
    with my.admin() as conn, conn.cursor() as cur:
        cur.execute(sql)
        after = cur.fetchall()
    assert before == after


def test_session_is_read_only_without_default_schema_and_bounded(shop):
    my, db = shop
    with connect(my.dsn(db)) as session:
        assert session.scalar("SELECT DATABASE()") is None
        assert session.scalar("SELECT @dbxray_db") == db
        assert session.scalar("SELECT @@SESSION.tx_read_only") == 1
        assert float(session.scalar("SELECT @@SESSION.max_statement_time")) == 30.0
        with pytest.raises(Exception, match="READ ONLY"):
            session.query(f"INSERT INTO `{db}`.customers VALUES (99999, 'x', 1)")
    assert my.scalar(f"SELECT COUNT(*) FROM `{db}`.customers WHERE id = 99999") == 0


def test_mariadb_scheme_and_whole_server_mode(shop):
    my, db = shop
    snap = collect_snapshot(my.dsn(db, scheme="mariadb"))
    assert snap.engine == "mysql" and snap.meta["flavor"] == "mariadb"
    workload(my, db, [("SELECT id FROM orders WHERE amount = %s", (v,)) for v in range(12)])
    # no database in the DSN: every user schema, each digest read in its own default schema
    whole = collect_snapshot(my.dsn(""))
    schemas = set(whole["tables"]["schema"])
    assert db in schemas and not schemas & {"mysql", "performance_schema", "sys", "information_schema"}
    rep = analyze_snapshot(whole, Config())
    miss = [f for f in rep.findings if f.check == "missing_index" and f.object.get("schema") == db]
    assert [(f.object["table"], f.object["columns"]) for f in miss] == [("orders", ["amount"])]
