"""performance_schema OFF (MariaDB's default) and no PROCESS privilege: the report still gives
everything else, falls back to the slow log table and userstat, names the source of each
finding, and says exactly how to turn the missing source on."""

from __future__ import annotations

import contextlib

import pytest

from dbxray.pipeline import collect_snapshot
from tests.mysql.servers import findings, report, workload

PROBLEMS = """
    CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT, status VARCHAR(10), note VARCHAR(100),
                         KEY k_status (status), KEY k_status2 (status));
    INSERT INTO orders SELECT seq, 1 + seq % 500, ELT(1 + seq % 3, 'a', 'b', 'c'), CONCAT('n', seq)
                       FROM seq_1_to_20000;
    CREATE TABLE audit (ts DATETIME, msg VARCHAR(50));
    CREATE TABLE flags (id TINYINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, v INT);
    ALTER TABLE flags AUTO_INCREMENT = 240;
    INSERT INTO flags (v) VALUES (1);
    ANALYZE TABLE orders;
"""


@pytest.fixture
def slow_log_table(my_plain):
    """The slow log written to mysql.slow_log (dynamic: no restart), every statement logged."""
    my_plain.run(None, "SET GLOBAL log_output = 'TABLE'; SET GLOBAL long_query_time = 0; "
                       "SET GLOBAL slow_query_log = ON; TRUNCATE TABLE mysql.slow_log;")
    yield my_plain
    my_plain.run(None, "SET GLOBAL slow_query_log = OFF; SET GLOBAL long_query_time = 10; "
                       "SET GLOBAL log_output = 'FILE'; TRUNCATE TABLE mysql.slow_log;")


def test_performance_schema_off_says_what_to_configure_and_the_rest_still_works(plain_db, my):
    my_plain, db = plain_db
    my_plain.run(db, PROBLEMS)
    rep = report(my_plain.dsn(db))
    ps = findings(rep, "setting", setting="performance_schema")
    assert len(ps) == 1
    f = ps[0]
    assert f.severity == "warning" and f.evidence["restart_required"] is True
    assert "performance_schema = ON" in f.evidence["config"] and "[mysqld]" in f.recommendation
    assert "SET GLOBAL log_output = 'FILE,TABLE';" in f.sql and "SET GLOBAL userstat = ON;" in f.sql
    # everything that does not need performance_schema is still there
    assert findings(rep, "duplicate_index", table="orders")
    assert findings(rep, "missing_primary_key", table="audit")
    assert findings(rep, "sequence_exhaustion", table="flags")
    runs = {c["name"]: c["status"] for c in rep.collection["collectors"]}
    assert runs["statements"] == "ok" and runs["tables"] == "ok"
    assert any("performance_schema is OFF" in n and "no statement statistics" in n for n in rep.notes)
    # the dynamic part of the fix works right away (the slow log as a table, userstat)
    my_plain.run(None, f.sql)
    try:
        assert my_plain.scalar("SELECT @@log_output") == "FILE,TABLE"
        assert my_plain.scalar("SELECT @@userstat") == 1
    finally:
        my_plain.run(None, "SET GLOBAL slow_query_log = OFF; SET GLOBAL log_output = 'FILE'; "
                           "SET GLOBAL long_query_time = 10; SET GLOBAL userstat = OFF; TRUNCATE mysql.slow_log")
    # near miss: a server with performance_schema ON gets no such finding
    name = my.new_database()
    try:
        assert not findings(report(my.dsn(name)), "setting", setting="performance_schema")
    finally:
        my.drop_database(name)


def test_statement_findings_fall_back_to_the_slow_log_table(plain_db, slow_log_table):
    my_plain, db = plain_db
    my_plain.run(db, PROBLEMS)
    workload(my_plain, db, [("SELECT * FROM orders WHERE customer_id = %s", (17,)),
                            ("SELECT * FROM orders WHERE id = %s", (17,)),
                            ("SELECT COUNT(*) FROM orders WHERE note = %s", ("zzq-secret",))], repeat=60)
    snap = collect_snapshot(my_plain.dsn(db))
    assert snap["statements"].empty and not snap["slow_log"].empty
    slow = snap["slow_log"]
    assert set(slow["source"]) == {"mysql.slow_log"} and set(slow["schema"]) == {db}
    assert not slow["query"].str.contains("zzq-secret").any()  # fingerprinted on the server
    assert not slow["query"].str.contains("dbxray|information_schema|performance_schema").any()
    rep = report(my_plain.dsn(db), slow_query={"mean_ms": 0.5, "min_calls": 50})
    by_query = {f.evidence["query"]: f for f in findings(rep, "slow_query")}
    scan = [q for q in by_query if "customer_id" in q]
    assert scan and by_query[scan[0]].evidence["source"] == "mysql.slow_log"
    assert not [q for q in by_query if "WHERE id = ?" in q]
    fts = [f for f in findings(rep, "full_table_scan") if "customer_id" in f.evidence["query"]]
    assert fts and fts[0].evidence["source"] == "mysql.slow_log" and fts[0].evidence["no_index_used"] is None
    miss = {tuple(f.object["columns"]): f for f in findings(rep, "missing_index", table="orders")}
    assert ("customer_id",) in miss and ("note",) in miss
    assert miss[("customer_id",)].evidence["source"] == "mysql.slow_log"
    assert any("statement findings come from mysql.slow_log" in n for n in rep.notes)


def test_unused_index_from_userstat_without_performance_schema(plain_db):
    my_plain, db = plain_db
    my_plain.run(db, PROBLEMS)
    my_plain.run(None, "SET GLOBAL userstat = ON; FLUSH INDEX_STATISTICS; FLUSH TABLE_STATISTICS;")
    try:
        workload(my_plain, db, [("SELECT COUNT(*) FROM orders WHERE status = %s", ("a",)),
                                ("SELECT * FROM orders WHERE id = %s", (3,))], repeat=3)
        rep = report(my_plain.dsn(db), unused_index={"min_bytes": 0})
        unused = {f.object["index"]: f for f in findings(rep, "unused_index", table="orders")}
        # k_status and k_status2 are copies: the optimizer reads through one of them only
        assert len(unused) == 1 and set(unused) <= {"k_status", "k_status2"}
        f = next(iter(unused.values()))
        assert f.evidence["source"] == "information_schema.INDEX_STATISTICS (userstat)"
        assert f.severity == "info" and "userstat" in f.evidence["stats_age"]
        assert "PRIMARY" not in unused
    finally:
        my_plain.run(None, "SET GLOBAL userstat = OFF")


@pytest.fixture
def monitor_without_process(my_db):
    my, db = my_db
    user, password = f"nop_{db}"[:32], "n0-Pr0cess!"
    my.run(None, f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; "
                 f"GRANT SELECT ON `{db}`.* TO '{user}'@'%'; "
                 f"GRANT SELECT ON performance_schema.* TO '{user}'@'%';")
    yield my, db, user, password
    with contextlib.suppress(Exception):
        my.run(None, f"DROP USER '{user}'@'%'")


def test_without_process_the_report_degrades_and_says_how_to_grant_it(monitor_without_process):
    my, db, user, password = monitor_without_process
    my.run(db, PROBLEMS)
    workload(my, db, [("SELECT * FROM orders WHERE customer_id = %s", (5,))], repeat=12)
    rep = report(my.dsn(db, user=user, password=password))
    runs = {c["name"]: c for c in rep.collection["collectors"]}
    assert runs["transactions"]["status"] == "error" and "PROCESS" in runs["transactions"]["detail"]
    assert runs["statements"]["status"] == "ok"
    priv = findings(rep, "setting", setting="privilege:PROCESS")
    assert len(priv) == 1 and priv[0].sql == f"GRANT PROCESS ON *.* TO `{user}`@`%`;"
    assert any("lacks PROCESS" in n for n in rep.notes)
    # what does not need PROCESS is still found
    assert findings(rep, "missing_index", table="orders") and findings(rep, "duplicate_index", table="orders")
    assert password not in str(rep.to_dict())
    # near miss: with PROCESS there is no such finding
    assert not findings(report(my.dsn(db)), "setting", setting="privilege:PROCESS")


def test_without_select_on_performance_schema_says_so(monitor_without_process):
    my, db, user, password = monitor_without_process
    my.run(None, f"REVOKE SELECT ON performance_schema.* FROM '{user}'@'%'")
    rep = report(my.dsn(db, user=user, password=password))
    runs = {c["name"]: c for c in rep.collection["collectors"]}
    assert runs["statements"]["status"] == "error" and "permission denied" in runs["statements"]["detail"]
    hit = findings(rep, "setting", setting="privilege:SELECT on performance_schema")
    assert len(hit) == 1 and hit[0].sql == f"GRANT SELECT ON performance_schema.* TO `{user}`@`%`;"
    my.run(None, hit[0].sql)
    rep = report(my.dsn(db, user=user, password=password))
    assert not findings(rep, "setting", setting="privilege:SELECT on performance_schema")
    assert {c["name"]: c["status"] for c in rep.collection["collectors"]}["statements"] == "ok"
