"""Issue 11 on MySQL 8 (testcontainers; skipped without a Docker daemon): every collector variant and
parser path only MySQL 8 uses, live. The parsing side of each runs everywhere from recorded output:
``test_mysql8_fixtures.py`` (plans, data_locks/data_lock_waits, digests, INNODB_METRICS columns),
``test_deadlock_check.py`` (the 8.0 manual's deadlock) and the column tests at the end of this file.

- idle_in_transaction: the locked tables from performance_schema.data_locks (``trx_locks_mysql80.sql``)
- deadlock: the count from INNODB_METRICS ``lock_deadlocks`` (no Innodb_deadlocks status variable)
- security: accounts from mysql.user (``accounts_mysql.sql``), caching_sha2_password available
- statements without a default database: SHA-256 digests attributed by their tables
- temp_table: the EXPLAIN ANALYZE tree's ``Aggregate using temporary table``
- JSON v2: ``EXPLAIN ANALYZE FORMAT=JSON`` with explain_json_format_version=2 on MySQL 8.4
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from pathlib import Path

import pymysql
import pytest

from dbxray.connect import Limits, connect
from dbxray.pipeline import collect_snapshot
from dbxray.plans.report import analyse
from dbxray.plans.rules.common import Thresholds
from dbxray.plans.run import explain
from tests.mysql.servers import MyServer, findings, report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED = """
    SET SESSION cte_max_recursion_depth = 100000;
    CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, amount INT NOT NULL, note VARCHAR(40));
    INSERT INTO orders WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 50000)
                       SELECT n, n % 5000, n % 100, CONCAT('n', n) FROM s;
    ANALYZE TABLE orders;
"""


@pytest.fixture
def shop8(mysql8: MyServer):
    db = mysql8.new_database()
    mysql8.run(db, SEED)
    yield mysql8, db
    mysql8.drop_database(db)


def _conn(my: MyServer, db: str | None, autocommit: bool = True) -> pymysql.connections.Connection:
    return pymysql.connect(host=my.host, port=my.port, user=my.user, password=my.password or "", database=db,
                           autocommit=autocommit)


def test_mysql8_new_collector_variants_run(shop8):
    my, db = shop8
    snap = collect_snapshot(my.dsn(db))
    runs = {c.name: c for c in snap.collectors}
    for name, source in (("trx_locks", "trx_locks_mysql80.sql"), ("trx_statements", "trx_statements.sql"),
                         ("innodb_metrics", "innodb_metrics.sql"), ("innodb_status", "innodb_status.sql"),
                         ("accounts", "accounts_mysql.sql"), ("auth_plugins", "auth_plugins_mysql.sql"),
                         ("security", "security.sql")):
        assert runs[name].status == "ok" and runs[name].source == source, (name, runs[name])
    plugins = set(snap["auth_plugins"]["name"])
    assert "caching_sha2_password" in plugins
    # every variant chosen for MySQL 8 ran: none failed (a skip names its reason)
    failed = {c.name: c.detail for c in snap.collectors if c.status not in ("ok", "skipped")}
    assert not failed, failed
    mysql_only = {c.source for c in snap.collectors if c.source and ("mysql80" in c.source or "_mysql" in c.source)}
    assert {"lock_waits_mysql80.sql", "trx_locks_mysql80.sql", "statements_mysql80028.sql",
            "index_usage_mysql80.sql", "indexes_mysql80.sql"} <= mysql_only, mysql_only


def test_mysql8_idle_transaction_names_tables_from_data_locks(shop8):
    my, db = shop8
    holder, reader = _conn(my, db, autocommit=False), _conn(my, db, autocommit=False)
    try:
        with holder.cursor() as cur:
            cur.execute("UPDATE orders SET amount = amount + 1 WHERE id = 7")
        with reader.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM orders")
        time.sleep(2.5)
        assert not findings(report(my.dsn(db), idle_in_transaction={"locks_warn_s": 30}), "idle_in_transaction",
                            pid=holder.thread_id())
        rep = report(my.dsn(db), idle_in_transaction={"locks_warn_s": 2, "warn_s": 60})
        (f,) = findings(rep, "idle_in_transaction", pid=holder.thread_id())
        assert f.evidence["locked_tables"] == [f"{db}.orders"]
        assert "performance_schema.data_locks" in f.evidence["tables_from"]
        assert not findings(rep, "idle_in_transaction", pid=reader.thread_id())
    finally:
        holder.rollback()
        reader.rollback()
        holder.close()
        reader.close()


def test_mysql8_deadlock_counted_from_innodb_metrics(shop8):
    my, db = shop8
    a, b = _conn(my, db, autocommit=False), _conn(my, db, autocommit=False)
    errors: list[Exception] = []
    try:
        with a.cursor() as ca, b.cursor() as cb:
            ca.execute("UPDATE orders SET amount = 1 WHERE id = 1")
            cb.execute("UPDATE orders SET amount = 2 WHERE id = 2")

            def second() -> None:
                try:
                    ca.execute("UPDATE orders SET amount = 3 WHERE id = 2")
                except pymysql.err.MySQLError as exc:
                    errors.append(exc)

            th = threading.Thread(target=second)
            th.start()
            time.sleep(0.5)
            try:
                cb.execute("UPDATE orders SET amount = 4 WHERE id = 1")
            except pymysql.err.MySQLError as exc:
                errors.append(exc)
            th.join(10)
    finally:
        a.rollback()
        b.rollback()
        a.close()
        b.close()
    assert [e.args[0] for e in errors] == [1213]
    (f,) = findings(report(my.dsn(db)), "deadlock")
    assert f.evidence["count_source"] == "information_schema.INNODB_METRICS lock_deadlocks"
    assert f.evidence["deadlocks"] >= 1 and f.object["table"] == "orders"
    assert len(f.evidence["transactions"]) == 2


def test_mysql8_security_review_from_mysql_user(shop8):
    my, db = shop8
    my.run(None, "CREATE USER IF NOT EXISTS 'app8'@'%' IDENTIFIED WITH mysql_native_password BY 'x';"
                 "GRANT FILE ON *.* TO 'app8'@'%';"
                 "CREATE USER IF NOT EXISTS 'nopw8'@'%';"
                 "CREATE ROLE IF NOT EXISTS 'reporting8';")
    try:
        rep = report(my.dsn(db))
        (g,) = findings(rep, "global_privilege", role="'app8'@'%'")
        assert g.sql == "REVOKE FILE ON *.* FROM 'app8'@'%';"
        (w,) = findings(rep, "weak_auth", role="'nopw8'@'%'")
        assert w.severity == "critical" and "caching_sha2_password" in w.sql
        native = [f for f in findings(rep, "weak_auth") if "mysql_native_password" in f.title]
        assert native and native[0].severity == "warning" and "'app8'@'%'" in native[0].evidence["accounts"]
        # the image's root@% has ALL PRIVILEGES
        (s,) = findings(rep, "superuser_role", role="'root'@'%'")
        assert s.severity == "critical"
        # a MySQL 8 role is a locked account: never reported as a login without a password
        assert not findings(rep, "weak_auth", role="'reporting8'@'%'")
    finally:
        my.run(None, "DROP USER IF EXISTS 'app8'@'%', 'nopw8'@'%'; DROP ROLE IF EXISTS 'reporting8';")


def test_mysql8_statements_without_default_database_sha256(shop8):
    my, db = shop8
    with _conn(my, None) as conn, conn.cursor() as cur:
        for i in range(30):
            cur.execute(f"SELECT id FROM `{db}`.orders WHERE amount = %s", (i,))
            cur.fetchall()
    snap = collect_snapshot(my.dsn(db))
    stmts = snap["statements"]
    mine = stmts[stmts["query"].str.contains("`amount` = ?", regex=False)]
    assert len(mine) == 1 and re.fullmatch(r"[0-9a-f]{64}", mine.iloc[0]["queryid"])
    assert mine.iloc[0]["schema"] == db and mine.iloc[0]["schema_source"]


def test_mysql8_explain_analyze_tree_temporary_table(shop8):
    my, db = shop8
    sql = "SELECT note, COUNT(*) FROM orders GROUP BY note"
    with connect(my.dsn(db), Limits(statement_timeout=60)) as session:
        plan = explain(session, sql, analyze=True)
    assert plan.source_format == "mysql-tree"
    found = [f for f in analyse(plan, thresholds=Thresholds(temp_table_min_ms=1.0)) if f.check == "temp_table"]
    assert len(found) == 1, [(n.node_type, n.raw.get("head")) for n in plan.nodes()]
    f = found[0]
    assert f.evidence["temporary_table_for"] == "GROUP BY note"
    assert f.sql == f"ALTER TABLE `{db}`.`orders` ADD INDEX `ix_orders_note` (`note`);"
    assert f.evidence["went_to_disk"] is not None  # the session counters were read around the run


@pytest.fixture(scope="module")
def mysql84():
    from tests.servers import docker_available

    if not docker_available():
        pytest.skip("MySQL 8.4 runs only through testcontainers and no Docker daemon answers here")
    from testcontainers.mysql import MySqlContainer

    container = MySqlContainer("mysql:8.4", username="root", password="test").with_command(
        "--mysql-native-password=ON --authentication-policy=mysql_native_password --performance-schema=ON")
    container.start()
    server = MyServer(container.get_container_host_ip(), int(container.get_exposed_port(3306)), "root", "test",
                      label="testcontainers mysql:8.4", owned=container)
    yield server
    with contextlib.suppress(Exception):
        container.stop()


def test_mysql84_json_v2_analyze_parses(mysql84):
    import json

    from dbxray.plans.load import parse_plan_json

    db = mysql84.new_database()
    mysql84.run(db, SEED)
    sql = "SELECT customer_id, SUM(amount) FROM orders WHERE amount > 50 GROUP BY customer_id"
    with _conn(mysql84, db) as conn, conn.cursor() as cur:
        cur.execute("SET explain_json_format_version = 2")
        cur.execute(f"EXPLAIN ANALYZE FORMAT=JSON {sql}")
        raw = cur.fetchone()[0]
    plan = parse_plan_json(json.loads(raw), sql)
    assert plan.source_format == "mysql-json-v2" and plan.analysed
    assert any(n.relation == "orders" for n in plan.nodes())
    analyse(plan)  # every rule runs over a live JSON v2 plan without error


def test_recorded_mysql8_columns_the_new_collectors_read():
    """Runs everywhere: the columns of the MySQL-only collectors against recorded MySQL 8 headers."""
    def header(path: Path) -> set[str]:
        return set(path.read_text().splitlines()[0].split("\t"))

    collectors = Path(__file__).resolve().parents[2] / "collectors" / "mysql"
    locks = (collectors / "trx_locks_mysql80.sql").read_text()
    used = set(re.findall(r"\bl\.([A-Z_]+)", locks))
    assert used and used <= header(FIXTURES / "mysql8" / "ps_data_locks_manual80.tsv"), used
    users = (collectors / "accounts_mysql.sql").read_text()
    used = set(re.findall(r"\bu\.([A-Za-z_]+)", users))
    real = set((FIXTURES / "mysql8" / "mysql_user_columns_trunk.txt").read_text().split())
    assert used and used <= real, used - real
    metrics = (collectors / "innodb_metrics.sql").read_text()
    assert {"NAME", "COUNT", "SUBSYSTEM"} <= {c.upper() for c in header(
        FIXTURES / "mysql8" / "is_innodb_metrics_row_manual80.tsv")}
    assert "`COUNT`" in metrics


def test_mysql8_sysbench_points_in_list(mysql8: MyServer):
    """sysbench select_random_points on MySQL 8 without the k index: the SHA-256 digest ``k IN (...)`` gives the
    missing index on sbtest1(k)."""
    import shutil

    from tests.mysql.test_sysbench_points import _sysbench

    if shutil.which("sysbench") is None:
        pytest.skip("sysbench is not installed")
    db = mysql8.new_database("sb")
    try:
        _sysbench(mysql8, db, "prepare")
        mysql8.run(db, "ALTER TABLE sbtest1 DROP INDEX k_1")
        _sysbench(mysql8, db, "--threads=1", "--time=4", "--report-interval=0", "--db-ps-mode=disable", "run")
        rep = report(mysql8.dsn(db))
        (f,) = findings(rep, "missing_index", table="sbtest1")
        assert f.object["columns"] == ["k"]
        assert any(s["query"].endswith("IN (...)") for s in f.evidence["statements"])
    finally:
        mysql8.drop_database(db)
