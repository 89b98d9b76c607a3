"""The whole MySQL report: a healthy schema stays quiet, snapshots round-trip and diff, renderers work."""

from __future__ import annotations

import datetime as dt

from dbxray.config import Config
from dbxray.pipeline import analyze_snapshot, collect_snapshot
from dbxray.report import render
from dbxray.snapshot import Snapshot
from tests.mysql.servers import workload

HEALTHY = """
    CREATE TABLE customers (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) NOT NULL,
                            city_id INT NOT NULL, UNIQUE KEY u_email (email), KEY ix_city (city_id));
    CREATE TABLE products (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(20) NOT NULL,
                           price DECIMAL(10, 2) NOT NULL, UNIQUE KEY u_sku (sku));
    CREATE TABLE orders (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer_id INT UNSIGNED NOT NULL,
                         created_at DATETIME NOT NULL, status VARCHAR(10) NOT NULL,
                         KEY ix_customer_created (customer_id, created_at),
                         CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id));
    CREATE TABLE order_items (order_id BIGINT UNSIGNED NOT NULL, product_id INT UNSIGNED NOT NULL, qty INT NOT NULL,
                              PRIMARY KEY (order_id, product_id), KEY ix_product (product_id),
                              CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES orders (id),
                              CONSTRAINT fk_items_product FOREIGN KEY (product_id) REFERENCES products (id));
    INSERT INTO customers (email, city_id) SELECT CONCAT('c', seq, '@shop.test'), seq % 30 FROM seq_1_to_5000;
    INSERT INTO products (sku, price) SELECT CONCAT('SKU', seq), seq % 90 + 0.99 FROM seq_1_to_500;
    INSERT INTO orders (customer_id, created_at, status)
         SELECT 1 + seq % 5000, '2024-01-01' + INTERVAL seq MINUTE, ELT(1 + seq % 3, 'new', 'paid', 'sent')
         FROM seq_1_to_20000;
    INSERT INTO order_items SELECT seq, 1 + seq % 500, 1 + seq % 3 FROM seq_1_to_20000;
    ANALYZE TABLE customers, products, orders, order_items;
"""


def _normal_workload(my, db):
    stmts = []
    for i in range(1, 121):
        stmts += [
            ("SELECT id, email FROM customers WHERE id = %s", (i,)),
            ("SELECT id FROM customers WHERE email = %s", (f"c{i}@shop.test",)),
            ("SELECT id, created_at FROM orders WHERE customer_id = %s ORDER BY created_at DESC LIMIT 10", (i,)),
            ("SELECT p.sku, oi.qty FROM order_items oi JOIN products p ON p.id = oi.product_id "
             "WHERE oi.order_id = %s", (i * 7,)),
            ("UPDATE orders SET status = 'sent' WHERE id = %s", (i * 11,)),
        ]
    stmts.append(("INSERT INTO orders (customer_id, created_at, status) VALUES (%s, NOW(), 'new')", (3,)))
    workload(my, db, stmts)


def test_a_healthy_schema_with_a_normal_workload_gets_no_warning(my_db):
    my, db = my_db
    my.run(db, HEALTHY)
    _normal_workload(my, db)
    rep = analyze_snapshot(collect_snapshot(my.dsn(db)), Config())
    tables = {"customers", "products", "orders", "order_items"}
    about_us = [f for f in rep.findings if f.object.get("schema") == db or f.object.get("table") in tables]
    loud = [(f.check, f.severity, f.title) for f in about_us if f.severity in ("warning", "critical")]
    assert loud == []
    assert rep.summary["statements"], "the workload is in the report"
    assert not rep.collection.get("check_errors")


def test_snapshot_round_trip_and_interval_report(my_db, tmp_path):
    my, db = my_db
    my.run(db, HEALTHY)
    _normal_workload(my, db)
    first = collect_snapshot(my.dsn(db))
    path = first.save(tmp_path / "before.json.gz")
    loaded = Snapshot.load(path)
    assert loaded.engine == "mysql" and loaded.meta["flavor"] == "mariadb"
    assert list(loaded["statements"]["queryid"]) == list(first["statements"]["queryid"])
    workload(my, db, [("SELECT id, email FROM customers WHERE id = %s", (i,)) for i in range(1, 31)])
    later = collect_snapshot(my.dsn(db))
    later.collected_at = max(later.collected_at, loaded.collected_at + dt.timedelta(seconds=1))
    rep = analyze_snapshot(later, Config(), baseline=loaded)
    rows = {r["query"]: r for r in rep.summary["statements"]}
    lookup = next(q for q in rows if q.startswith("SELECT ID , `email` FROM `customers` WHERE ID = ?"))
    assert rows[lookup]["calls"] == 30  # only the interval: 120 calls came before the baseline
    assert rep.summary["interval"]["seconds"] > 0


def test_text_and_markdown_render_a_mysql_report(my_db):
    my, db = my_db
    my.run(db, HEALTHY + "CREATE TABLE log (ts DATETIME, msg TEXT);")
    _normal_workload(my, db)
    rep = analyze_snapshot(collect_snapshot(my.dsn(db)), Config())
    text = render(rep, "text")
    md = render(rep, "markdown")
    for out in (text, md):
        assert rep.target["server_version"] in out and "missing_primary_key" in out
        assert f"ALTER TABLE `{db}`.`log` ADD COLUMN `id`" in out
    assert "customers" in md  # the top statements table
