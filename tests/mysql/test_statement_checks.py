"""Statement checks from performance_schema digests, with workloads run as an application would."""

from __future__ import annotations

import pytest

from tests.mysql.servers import findings, report, workload


@pytest.fixture
def shop(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40), city INT, KEY ix_city (city));
        CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(10), amount INT,
                             note TEXT, KEY ix_status (status));
        INSERT INTO customers SELECT seq, CONCAT('c', seq), seq % 50 FROM seq_1_to_2000;
        INSERT INTO orders SELECT seq, 1 + seq % 2000, ELT(1 + seq % 4, 'new', 'paid', 'sent', 'done'),
                                  seq % 997, REPEAT(CHAR(65 + seq % 26), 20 + seq % 200)
                           FROM seq_1_to_20000;
        ANALYZE TABLE customers, orders;
    """)
    return my, db


def _about(fs, text):
    return [f for f in fs if text in f.evidence.get("query", "")]


def test_slow_query_hit_and_near_miss(shop):
    my, db = shop
    workload(my, db, [("SELECT SUM(amount) FROM orders WHERE customer_id = %s", (5,)),  # full scan
                      ("SELECT name FROM customers WHERE id = %s", (5,))], repeat=25)  # PK lookup
    rep = report(my.dsn(db), slow_query={"mean_ms": 1.0, "min_calls": 20})
    hits = findings(rep, "slow_query")
    slow = _about(hits, "`customer_id` = ?")
    assert len(slow) == 1, [f.title for f in hits]
    assert slow[0].evidence["calls"] == 25 and slow[0].evidence["mean_ms"] >= 1.0
    assert slow[0].evidence["source"] == "performance_schema"
    assert slow[0].evidence["rows_examined_per_call"] >= 20000
    assert not _about(hits, "FROM `customers` WHERE ID = ?")
    # near miss: the same statement with fewer calls than min_calls is not reported
    rep = report(my.dsn(db), slow_query={"mean_ms": 1.0, "min_calls": 26})
    assert not _about(findings(rep, "slow_query"), "`customer_id` = ?")


def test_full_table_scan_and_missing_index_hit(shop):
    my, db = shop
    workload(my, db, [("SELECT id, amount FROM orders WHERE customer_id = %s", (42,))], repeat=30)
    rep = report(my.dsn(db), full_table_scan={"min_seq_scans": 20})
    scans = _about(findings(rep, "full_table_scan"), "`customer_id` = ?")
    assert len(scans) == 1
    scan = scans[0]
    assert scan.severity == "warning" and scan.object["table"] == "orders"
    assert scan.evidence["no_index_used"] == 30 and scan.evidence["rows_examined_per_call"] >= 20000
    assert "orders(customer_id)" in scan.recommendation
    miss = findings(rep, "missing_index", table="orders")
    assert len(miss) == 1
    m = miss[0]
    assert m.object["columns"] == ["customer_id"] and m.evidence["proven"] is False
    assert m.object["query_id"] == scan.object["query_id"]
    assert m.sql.startswith(f"ALTER TABLE `{db}`.`orders` ADD INDEX `ix_orders_customer_id` (`customer_id`)")
    # the fix runs and the lookup now uses it
    my.run(db, m.sql)
    with my.admin(db) as conn, conn.cursor() as cur:
        cur.execute("EXPLAIN SELECT id, amount FROM orders WHERE customer_id = 42")
        row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    assert row["type"] == "ref" and row["key"] == "ix_orders_customer_id"


def test_full_table_scan_near_misses(shop):
    my, db = shop
    workload(my, db, [("SELECT * FROM orders WHERE id = %s", (42,)),  # primary key
                      ("SELECT id FROM orders WHERE status = %s", ("new",)),  # indexed
                      ("SELECT id, amount FROM orders", None),  # a full read that returns everything it reads
                      ("SELECT COUNT(*) FROM orders WHERE note LIKE %s", ("%QQ",))], repeat=25)
    rep = report(my.dsn(db), full_table_scan={"min_seq_scans": 20})
    scans = findings(rep, "full_table_scan")
    assert not _about(scans, "WHERE ID = ?") and not _about(scans, "STATUS = ?")
    export = _about(scans, "SELECT ID , `amount` FROM `orders`")
    assert export and export[0].severity == "info"  # reads what it returns: an index cannot help
    like = _about(scans, "LIKE ?")
    assert like and "wildcard" in like[0].recommendation
    assert not findings(rep, "missing_index")


def test_temp_spill_hit_and_near_miss(shop):
    my, db = shop
    # GROUP_CONCAT over TEXT with a tiny in-memory limit: the temporary table goes to disk;
    # a big ORDER BY with the smallest sort buffer needs merge passes
    workload(my, db, [("SELECT status, GROUP_CONCAT(note) FROM orders GROUP BY status ORDER BY 2", None),
                      ("SELECT id, note FROM orders ORDER BY note, amount LIMIT %s", (5000,))],
             repeat=3, tmp_table_size=16384, max_heap_table_size=16384, sort_buffer_size=32768)
    workload(my, db, [("SELECT city, COUNT(*) FROM customers GROUP BY city", None)], repeat=3)
    rep = report(my.dsn(db))
    spills = findings(rep, "temp_spill")
    tmp = _about(spills, "GROUP_CONCAT")
    assert tmp and tmp[0].evidence["tmp_disk_tables"] >= 3 and "temporary table" in tmp[0].title
    assert "tmp_table_size" in tmp[0].sql
    sort = _about(spills, "ORDER BY `note`")
    assert sort and sort[0].evidence["sort_merge_passes"] >= 3 and "sort_buffer_size" in sort[0].sql
    assert not _about(spills, "FROM `customers` GROUP BY")  # small, in memory


def test_n_plus_one_hit_and_near_miss(shop):
    my, db = shop
    workload(my, db, [(f"SELECT name FROM customers WHERE id = {i % 2000 + 1}", None) for i in range(1200)]
             + [("SELECT COUNT(*) FROM orders WHERE status = %s", ("paid",))] * 40)
    rep = report(my.dsn(db))
    hits = findings(rep, "n_plus_one")
    assert len(hits) == 1 and "FROM `customers` WHERE ID = ?" in hits[0].evidence["query"]
    assert hits[0].evidence["calls"] == 1200
    # near miss: below min_calls the same lookups are an ordinary workload
    rep = report(my.dsn(db), n_plus_one={"min_calls": 1300})
    assert not findings(rep, "n_plus_one")
