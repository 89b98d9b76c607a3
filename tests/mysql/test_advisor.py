"""MySQL index advice: the right index for real statements, proven only as far as MySQL allows
(EXPLAIN before shows the full scan; applying the SQL makes it a ref/range lookup), and nothing
for predicates no B-tree can serve."""

from __future__ import annotations

import pytest

from dbxray.connect import connect
from dbxray.engines.mysql.advisor.candidates import find_candidates
from dbxray.engines.mysql.advisor.explain import advise_mysql
from dbxray.errors import UnsafeStatement
from dbxray.pipeline import collect_snapshot
from tests.mysql.servers import MyServer, workload


@pytest.fixture
def shop(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(80), city INT);
        CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(10),
                             created_at DATETIME, note TEXT, KEY ix_cust_status (customer_id, status));
        CREATE TABLE events (id INT PRIMARY KEY, kind INT, payload VARCHAR(100));
        CREATE TABLE tiny (id INT PRIMARY KEY, code INT);
        INSERT INTO customers SELECT seq, CONCAT('user', seq, '@example.com'), seq % 40 FROM seq_1_to_6000;
        INSERT INTO orders SELECT seq, 1 + seq % 2000, ELT(1 + seq % 4, 'new', 'paid', 'sent', 'done'),
                                  '2024-01-01' + INTERVAL seq MINUTE, 'n' FROM seq_1_to_20000;
        INSERT INTO events SELECT seq, seq % 500, CONCAT('payload-', seq) FROM seq_1_to_20000;
        INSERT INTO tiny SELECT seq, seq % 7 FROM seq_1_to_100;
        ANALYZE TABLE customers, orders, events, tiny PERSISTENT FOR ALL;
    """)
    return my, db


def _plan(my: MyServer, db: str, sql: str) -> dict:
    with my.admin(db) as conn, conn.cursor() as cur:
        cur.execute(f"EXPLAIN {sql}")
        return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def test_equality_lookup_from_digests_gets_the_index_and_explain_switches_to_ref(shop):
    my, db = shop
    workload(my, db, [("SELECT id, payload FROM events WHERE kind = %s", (k,)) for k in range(25)])
    snap = collect_snapshot(my.dsn(db))
    with connect(my.dsn(db)) as session:
        advice = advise_mysql(session, snap)
    assert len(advice) == 1
    f = advice[0]
    assert f.check == "missing_index" and f.object["table"] == "events" and f.object["columns"] == ["kind"]
    assert f.evidence["proven"] is False and "no hypothetical indexes" in f.evidence["proof"]
    assert f.evidence["full_scan"] is True and f.evidence["current_access"]["type"] == "ALL"
    assert f.evidence["statements"][0]["calls"] == 25
    assert f.sql == (f"ALTER TABLE `{db}`.`events` ADD INDEX `ix_events_kind` (`kind`), ALGORITHM=INPLACE, "
                     "LOCK=NONE;")
    explained = f.evidence["explained"]  # the digest with a typed sample value in place of ?
    assert "`kind` = 0" in explained.replace("kind = 0", "`kind` = 0")
    assert _plan(my, db, explained)["type"] == "ALL"
    my.run(db, f.sql)
    after = _plan(my, db, explained)
    assert after["type"] == "ref" and after["key"] == "ix_events_kind"


def test_given_statement_columns_in_selectivity_order_then_the_range(shop):
    my, db = shop
    sql = ("SELECT id FROM customers WHERE city = 3 AND email = 'user123@example.com' AND id > 100 "
           "ORDER BY id")
    with connect(my.dsn(db)) as session:
        advice = advise_mysql(session, collect_snapshot(my.dsn(db)), [sql])
    assert len(advice) == 1
    f = advice[0]
    # email (6000 distinct values) before city (40), from mysql.column_stats; then the range column
    assert f.object["columns"] == ["email", "city", "id"]
    card = f.evidence["cardinality"]
    assert card["email"]["distinct"] > card["city"]["distinct"] and card["city"]["source"] == "mysql.column_stats"
    assert f.evidence["current_access"]["type"] in ("ALL", "range")  # the primary key range is all it has today
    my.run(db, f.sql)
    after = _plan(my, db, sql)
    assert after["key"] == f.object["index"] and after["type"] in ("ref", "range")


def test_join_column_and_filter_column_get_an_index_each(shop):
    my, db = shop
    sql = ("SELECT o.id FROM customers c JOIN orders o ON o.status = 'paid' AND c.id = o.customer_id "
           "WHERE c.city = 7 AND o.created_at >= '2024-01-05'")
    with connect(my.dsn(db)) as session:
        advice = advise_mysql(session, collect_snapshot(my.dsn(db)), [sql])
    got = {(f.object["table"], tuple(f.object["columns"])) for f in advice}
    # customers, driven by its filter: (city). Probed through the join it needs nothing (PRIMARY id).
    # orders, probed through the join: ix_cust_status (customer_id, status) already serves it; driven
    # by its own filter: (status, created_at), the equality column then the range.
    assert got == {("customers", ("city",)), ("orders", ("status", "created_at"))}


@pytest.mark.parametrize("sql, reason", [
    ("SELECT * FROM customers WHERE email LIKE '%@example.com'", "starts with a wildcard"),
    ("SELECT * FROM customers WHERE LOWER(email) = 'user1@example.com'", "applies a function"),
    ("SELECT * FROM orders WHERE customer_id = 5", "already starts with customer_id"),
    ("SELECT * FROM orders WHERE status = 'new' AND customer_id = 5", "already starts with"),
    ("SELECT * FROM tiny WHERE code = 3", "rows"),
    ("SELECT * FROM orders WHERE status = 'sent'", "low selectivity"),
    ("SELECT c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.customer_id = 9",
     "at most one row through unique index PRIMARY"),
])
def test_near_misses_get_no_index(shop, sql, reason):
    my, db = shop
    snap = collect_snapshot(my.dsn(db))
    with connect(my.dsn(db)) as session:
        assert advise_mysql(session, snap, [sql]) == []
    skipped = find_candidates(snap, [sql]).skipped
    assert any(reason in s["reason"] for s in skipped), skipped


def test_several_statements_in_one_query_are_refused(shop):
    my, db = shop
    with connect(my.dsn(db)) as session, pytest.raises(UnsafeStatement):
        advise_mysql(session, collect_snapshot(my.dsn(db)), ["SELECT 1; DROP TABLE tiny"])
    assert my.scalar(f"SELECT COUNT(*) FROM `{db}`.tiny") == 100


def test_report_attaches_the_explain_of_the_full_scan_to_missing_index(shop):
    """`dbxray report` on MariaDB: the rule's missing_index advice carries the statement's EXPLAIN today."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    my, db = shop
    workload(my, db, [("SELECT id, payload FROM events WHERE kind = %s", (k,)) for k in range(25)])
    result = subprocess.run([str(Path(sys.executable).with_name("dbxray")), "report", "--format", "json",
                             "--dsn", my.dsn(db)], capture_output=True, text=True, timeout=120)
    data = json.loads(result.stdout)
    (f,) = [f for f in data["findings"] if f["check"] == "missing_index"]
    assert f["object"]["table"] == "events" and f["object"]["columns"] == ["kind"]
    assert f["evidence"]["analysis"] == "index advisor"
    assert f["evidence"]["full_scan"] is True and f["evidence"]["current_access"]["type"] == "ALL"
    assert data["collection"]["live_analysis"]["index_advice_ms"] >= 0
