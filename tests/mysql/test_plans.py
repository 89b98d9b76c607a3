"""MariaDB plans from a real (throwaway) server: EXPLAIN/ANALYZE FORMAT=JSON parsed
into the one tree, the findings a full scan earns, the fix SQL applied, and --analyze of writes
rolled back (and refused on a table a rollback cannot restore)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dbxray.connect import connect
from dbxray.errors import UnsafeStatement
from dbxray.plans.report import analyse
from dbxray.plans.run import explain

DBXRAY = str(Path(sys.executable).with_name("dbxray"))


@pytest.fixture(scope="module")
def maria(my):
    """(dsn, database) of a throwaway database on the test MariaDB (the ``my`` server), dropped afterwards."""
    name = my.new_database("plans")
    my.run(name, """
        CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB;
        INSERT INTO customers SELECT seq, CONCAT('c', seq) FROM seq_1_to_1000;
        CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT, status VARCHAR(10), total INT) ENGINE=InnoDB;
        INSERT INTO orders SELECT seq, seq % 1000, IF(seq % 10 = 0, 'paid', 'new'), seq FROM seq_1_to_30000;
        CREATE TABLE legacy (id INT PRIMARY KEY, v INT) ENGINE=MyISAM;
        INSERT INTO legacy SELECT seq, seq FROM seq_1_to_100;
    """)
    with my.admin(name) as conn, conn.cursor() as cur:
        cur.execute("ANALYZE TABLE customers, orders, legacy")
        cur.fetchall()
    _server["my"] = my
    yield my.dsn(name), name
    my.drop_database(name)


_server: dict = {}  # the module's MariaDB, for the checks that read the tables behind dbxray's back


def _admin(database: str | None = None):
    return _server["my"].admin(database)


def _explain(dsn: str, sql: str, analyze: bool = True):
    with connect(dsn) as session:
        plan = explain(session, sql, analyze=analyze)
    return plan, analyse(plan)


def _state(db: str, table: str) -> tuple:
    with _admin(db) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        count = cur.fetchone()[0]
        cur.execute(f"CHECKSUM TABLE {table} EXTENDED")
        return count, cur.fetchone()[1]


def test_plain_explain_is_a_tree_without_actuals(maria):
    dsn, _ = maria
    plan, _ = _explain(dsn, "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.total > 5",
                       analyze=False)
    assert plan.flavor == "mariadb" and not plan.analysed
    scans = {(n.schema, n.relation, n.alias): n.node_type for n in plan.nodes() if n.relation}
    db = maria[1]
    assert scans == {(db, "orders", "o"): "Table Scan", (db, "customers", "c"): "Index Lookup"}


def test_analyze_finds_the_missing_index_and_its_sql_fixes_it(maria):
    dsn, db = maria
    sql = "SELECT * FROM orders WHERE customer_id = 42"
    plan, findings = _explain(dsn, sql)
    assert plan.analysed and plan.execution_ms > 0
    [f] = [f for f in findings if f.check == "missing_index"]
    assert f.object["table"] == "orders" and f.object["columns"] == ["customer_id"]
    assert f.evidence["rows_read"] == 30000 and f.evidence["rows_kept"] == 30 and f.evidence["proven"] is False
    assert f.sql == f"ALTER TABLE `{db}`.`orders` ADD INDEX `ix_orders_customer_id` (`customer_id`);"
    with _admin(db) as conn, conn.cursor() as cur:
        cur.execute(f.sql)
    try:
        after, findings_after = _explain(dsn, sql)
        assert not [g for g in findings_after if g.check == "missing_index"]
        assert any(n.node_type == "Index Lookup" and n.index == "ix_orders_customer_id" for n in after.nodes())
    finally:
        with _admin(db) as conn, conn.cursor() as cur:
            cur.execute("ALTER TABLE orders DROP INDEX ix_orders_customer_id")


def test_primary_key_lookup_has_no_finding(maria):
    dsn, _ = maria
    plan, findings = _explain(dsn, "SELECT * FROM orders WHERE id = 42")
    assert plan.analysed and findings == []


def test_analyze_of_a_delete_is_rolled_back(maria):
    dsn, db = maria
    before = _state(db, "orders")
    plan, _ = _explain(dsn, "DELETE FROM orders WHERE total < 20000")
    scan = next(n for n in plan.nodes() if n.relation == "orders")
    assert scan.actual_rows and scan.actual_rows > 1000  # it ran ...
    assert _state(db, "orders") == before  # ... and was undone


def test_analyze_of_a_write_to_myisam_is_refused(maria):
    dsn, db = maria
    before = _state(db, "legacy")
    with connect(dsn) as session, pytest.raises(UnsafeStatement, match="MyISAM"):
        explain(session, "UPDATE legacy SET v = v + 1", analyze=True)
    assert _state(db, "legacy") == before


def test_cli_with_a_mariadb_dsn(maria):
    dsn, db = maria
    before = _state(db, "orders")
    result = subprocess.run([DBXRAY, "explain", "--dsn", dsn, "--analyze", "--format", "json",
                             "UPDATE orders SET total = total + 1 WHERE customer_id = 7"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["target"]["flavor"] == "mariadb" and data["plan"]["source_format"] == "mariadb-json"
    assert data["plan"]["analyzed"] is True
    assert _state(db, "orders") == before


def test_row_estimate_error_without_column_statistics_and_the_histogram_fix(maria):
    dsn, db = maria
    with _admin(db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE tickets (id INT PRIMARY KEY, state VARCHAR(10)) ENGINE=InnoDB")
        cur.execute("INSERT INTO tickets SELECT seq, IF(seq % 50 = 0, 'open', 'closed') FROM seq_1_to_20000")
    sql = "SELECT * FROM tickets t WHERE t.state = 'open'"
    _, findings = _explain(dsn, sql)
    [f] = [f for f in findings if f.check == "row_estimate_error"]
    assert f.evidence["cause"] == "no column statistics" and f.evidence["factor"] >= 10
    assert f.object["table"] == "tickets" and f.object["columns"] == ["state"]
    assert f.sql == f"ANALYZE TABLE `{db}`.`tickets` PERSISTENT FOR COLUMNS (`state`) INDEXES ();"
    with _admin(db) as conn, conn.cursor() as cur:
        cur.execute(f.sql)
        cur.fetchall()
    _, after = _explain(dsn, sql)
    assert not [g for g in after if g.check == "row_estimate_error"]
