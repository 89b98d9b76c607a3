"""Healthy controls: an indexed, normalized schema under a normal OLTP workload, pgbench's own schema and
workload, and sysbench's, get none of the design, transaction-pattern and caching checks at warning (with
the default thresholds, as a user runs them)."""

from __future__ import annotations

import random
import shutil
import subprocess

import psycopg
import pytest

from dbxray.demo.sandbox import find_postgres_bindir
from tests.design.helpers import MINE, check_errors, my_conn, my_run, pg_flush, report

PG_SHOP = """
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE,
                        name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE products (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, sku text NOT NULL UNIQUE,
                       name text NOT NULL, price numeric(10, 2) NOT NULL, attrs jsonb);
CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                     customer_id bigint NOT NULL REFERENCES customers (id), total numeric(12, 2) NOT NULL,
                     created_at timestamptz NOT NULL DEFAULT now(), paid_at timestamptz);
CREATE INDEX orders_customer_created ON orders (customer_id, created_at);
CREATE TABLE order_items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                          order_id bigint NOT NULL REFERENCES orders (id), product_id bigint NOT NULL
                          REFERENCES products (id), quantity int NOT NULL, unit_price numeric(10, 2) NOT NULL);
CREATE INDEX order_items_order ON order_items (order_id);
CREATE INDEX order_items_product ON order_items (product_id);
INSERT INTO customers (email, name) SELECT 'c' || g || '@example.com', 'c' || g FROM generate_series(1, 2000) g;
INSERT INTO products (sku, name, price, attrs)
  SELECT 'sku' || g, 'p' || g, 1 + g % 90, jsonb_build_object('color', 'c' || g % 9) FROM generate_series(1, 500) g;
ANALYZE;
"""


def _pg_shop_workload(dsn: str, rounds: int = 600) -> None:
    rng = random.Random(7)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(rounds):
            cust, prod = rng.randint(1, 2000), rng.randint(1, 500)
            conn.execute("SELECT id, name, price FROM products WHERE id = %s", (prod,)).fetchall()
            conn.execute("SELECT id, total, created_at FROM orders WHERE customer_id = %s "
                         "ORDER BY created_at DESC LIMIT 10", (cust,)).fetchall()
            with conn.transaction():
                oid = conn.execute("INSERT INTO orders (customer_id, total) VALUES (%s, %s) RETURNING id",
                                   (cust, 10)).fetchone()[0]
                conn.execute("INSERT INTO order_items (order_id, product_id, quantity, unit_price) "
                             "VALUES (%s, %s, 1, 10)", (oid, prod))
            conn.execute("SELECT oi.quantity, p.name FROM order_items oi JOIN products p ON p.id = oi.product_id "
                         "WHERE oi.order_id = %s", (oid,)).fetchall()
            conn.execute("UPDATE orders SET paid_at = now() WHERE id = %s", (oid,))
        pg_flush(conn)


def _warnings(rep) -> list[str]:
    # what fires at all (info included), for whoever runs this with -s: the "which of them fire"
    print("design/transaction/caching findings:", sorted({(f.check, f.severity) for f in rep.findings
                                                          if f.check in MINE}))
    return [f"{f.check}: {f.title}" for f in rep.findings if f.check in MINE and f.severity != "info"]


def test_postgres_healthy_shop_gets_no_warning(pg_db):
    pg, name = pg_db
    pg.run(name, PG_SHOP)
    _pg_shop_workload(pg.dsn(name))
    rep = report(pg.dsn(name))
    assert not check_errors(rep)
    assert not _warnings(rep)


@pytest.fixture
def pgbench_db(pg_db):
    bindir = find_postgres_bindir()
    if bindir is None or not (bindir / "pgbench").exists():
        pytest.skip("pgbench is not installed")
    pg, name = pg_db
    pg.run(name, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;")
    dsn = pg.dsn(name)
    subprocess.run([str(bindir / "pgbench"), "-i", "-s", "2", "-q", dsn], check=True, capture_output=True, timeout=300)
    subprocess.run([str(bindir / "pgbench"), "-c", "2", "-j", "2", "-T", "8", "-n", dsn], check=True,
                   capture_output=True, timeout=300)
    with pg.connect(name) as conn:
        pg_flush(conn)
    return pg, name


def test_pgbench_gets_no_warning(pgbench_db):
    pg, name = pgbench_db
    rep = report(pg.dsn(name))
    assert not check_errors(rep)
    assert not _warnings(rep)
    fired = {f.check for f in rep.findings if f.check in MINE}
    # pgbench_history.mtime is a timestamp without time zone: said as info, never more
    assert "timestamp_without_tz" in fired


MY_SHOP = """
CREATE TABLE customers (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE,
                        name VARCHAR(100) NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE products (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(30) NOT NULL UNIQUE,
                       name VARCHAR(100) NOT NULL, price DECIMAL(10, 2) NOT NULL);
CREATE TABLE orders (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer_id BIGINT UNSIGNED NOT NULL,
                     total DECIMAL(12, 2) NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
                     paid_at TIMESTAMP NULL, KEY orders_customer_created (customer_id, created_at),
                     FOREIGN KEY (customer_id) REFERENCES customers (id));
CREATE TABLE order_items (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, order_id BIGINT UNSIGNED NOT NULL,
                          product_id BIGINT UNSIGNED NOT NULL, quantity INT NOT NULL, unit_price DECIMAL(10, 2),
                          FOREIGN KEY (order_id) REFERENCES orders (id),
                          FOREIGN KEY (product_id) REFERENCES products (id));
INSERT INTO customers (email, name) SELECT CONCAT('c', seq, '@example.com'), CONCAT('c', seq) FROM seq_1_to_2000;
INSERT INTO products (sku, name, price) SELECT CONCAT('sku', seq), CONCAT('p', seq), 1 + seq % 90 FROM seq_1_to_500;
ANALYZE TABLE customers, products;
"""


def test_mariadb_healthy_shop_gets_no_warning(my_db):
    my, db = my_db
    my.run(db, MY_SHOP)
    rng = random.Random(7)
    conn = my_conn(my, db)
    try:
        for _ in range(600):
            cust, prod = rng.randint(1, 2000), rng.randint(1, 500)
            my_run(conn, "SELECT id, name, price FROM products WHERE id = %s", (prod,))
            my_run(conn, "SELECT id, total, created_at FROM orders WHERE customer_id = %s "
                         "ORDER BY created_at DESC LIMIT 10", (cust,))
            conn.begin()
            with conn.cursor() as cur:
                cur.execute("INSERT INTO orders (customer_id, total) VALUES (%s, %s)", (cust, 10))
                oid = cur.lastrowid
                cur.execute("INSERT INTO order_items (order_id, product_id, quantity, unit_price) "
                            "VALUES (%s, %s, 1, 10)", (oid, prod))
            conn.commit()
            my_run(conn, "SELECT oi.quantity, p.name FROM order_items oi JOIN products p ON p.id = oi.product_id "
                         "WHERE oi.order_id = %s", (oid,))
            my_run(conn, "UPDATE orders SET paid_at = NOW() WHERE id = %s", (oid,))
    finally:
        conn.close()
    rep = report(my.dsn(db))
    assert not check_errors(rep)
    assert not _warnings(rep)


def test_sysbench_gets_no_warning(own_db):
    if not shutil.which("sysbench"):
        pytest.skip("sysbench is not installed (apt-get install sysbench)")
    my, db = own_db  # a server of its own: sysbench moves server-wide counters (temporary tables, lock waits)
    common = ["--db-driver=mysql", f"--mysql-host={my.host}", f"--mysql-port={my.port}", f"--mysql-user={my.user}",
              f"--mysql-password={my.password or ''}", f"--mysql-db={db}", "--tables=2", "--table-size=10000",
              "--db-ps-mode=disable"]
    subprocess.run(["sysbench", "oltp_read_write", *common, "prepare"], check=True, capture_output=True, timeout=300)
    subprocess.run(["sysbench", "oltp_read_write", *common, "--threads=2", "--time=8", "run"], check=True,
                   capture_output=True, timeout=300)
    rep = report(my.dsn(db))
    assert not check_errors(rep)
    assert not _warnings(rep)
