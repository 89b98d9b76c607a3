"""Setting checks on real servers: buffer pool, temporary tables, and performance_schema's own setup."""

from __future__ import annotations

import pytest

from tests.mysql.servers import MyServer, findings, report, workload
from tests.support.mariadb import MariaDBSandbox, find_mariadb_binaries


def test_buffer_pool_smaller_than_the_data_with_disk_reads(plain_db):
    """my_plain runs with a 16 MB buffer pool: fine while the data is small, not once it is ~30 MB."""
    my, db = plain_db
    my.run(db, "CREATE TABLE small (id INT PRIMARY KEY, v INT); INSERT INTO small VALUES (1, 1);")
    assert not findings(report(my.dsn(db)), "setting", setting="innodb_buffer_pool_size")
    my.run(db, """
        CREATE TABLE big (id INT PRIMARY KEY, pad CHAR(240));
        INSERT INTO big SELECT seq, REPEAT('x', 240) FROM seq_1_to_100000;
        ANALYZE TABLE big;
    """)
    # 8,000 point lookups spread over the whole table: many leaf pages are not in the pool
    workload(my, db, [("SELECT COUNT(b.pad) FROM seq_1_to_8000 s JOIN big b ON b.id = 1 + (s.seq * 7919) % 100000",
                       None)])
    rep = report(my.dsn(db))
    hit = findings(rep, "setting", setting="innodb_buffer_pool_size")
    assert len(hit) == 1
    f = hit[0]
    assert f.severity == "warning" and f.evidence["current"] == 16 * 1048576
    assert f.evidence["innodb_data_bytes"] > 20 * 1048576 and f.evidence["hit_pct"] < 99.0
    assert f.sql.startswith("SET GLOBAL innodb_buffer_pool_size = ")
    size = int(f.sql.split("=")[1].split(";")[0])
    assert size >= f.evidence["innodb_data_bytes"] and size % (128 * 1048576) == 0


def test_temporary_tables_going_to_disk(plain_db):
    my, db = plain_db
    my.run(db, "CREATE TABLE notes (id INT PRIMARY KEY, grp INT, body TEXT); "
               "INSERT INTO notes SELECT seq, seq % 3, REPEAT('n', 600) FROM seq_1_to_30;")
    # near miss: the threshold is not reached whatever the counters are
    assert not findings(report(my.dsn(db), setting={"max_disk_tmp_pct": 100.0}), "setting",
                        setting="tmp_table_size")
    # GROUP BY over TEXT with the smallest in-memory limit: every temporary table goes to disk
    workload(my, db, [("SELECT grp, GROUP_CONCAT(body) FROM notes GROUP BY grp ORDER BY 2", None)], repeat=2500,
             tmp_table_size=1024, max_heap_table_size=16384)
    rep = report(my.dsn(db))
    hit = findings(rep, "setting", setting="tmp_table_size")
    assert len(hit) == 1
    f = hit[0]
    assert f.evidence["disk_pct"] >= 25 and f.evidence["created_tmp_disk_tables"] >= 2500
    assert "SET GLOBAL tmp_table_size" in f.sql and "SET GLOBAL max_heap_table_size" in f.sql


def test_digest_consumer_off_and_back_on(my_db):
    my, db = my_db
    if my.label.startswith("DBXRAY_TEST_MYSQL_DSN"):
        pytest.skip("does not reconfigure a server given by DBXRAY_TEST_MYSQL_DSN")
    assert not findings(report(my.dsn(db)), "setting", setting="performance_schema_consumer_statements_digest")
    my.run(None, "UPDATE performance_schema.setup_consumers SET ENABLED = 'NO' WHERE NAME = 'statements_digest'")
    try:
        rep = report(my.dsn(db))
        hit = findings(rep, "setting", setting="performance_schema_consumer_statements_digest")
        assert len(hit) == 1 and hit[0].severity == "warning"
        my.run(None, hit[0].sql)  # the fix turns it back on
        assert my.scalar("SELECT ENABLED FROM performance_schema.setup_consumers "
                         "WHERE NAME = 'statements_digest'") == "YES"
    finally:
        my.run(None, "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' "
                     "WHERE NAME = 'statements_digest'")


@pytest.mark.skipif(not find_mariadb_binaries(), reason="needs the MariaDB server binaries for a throwaway server")
def test_digest_table_overflow_is_reported():
    with MariaDBSandbox(performance_schema=True, settings={"performance-schema-digests-size": "200"}) as sb:
        my = MyServer("127.0.0.1", sb.port, owned=sb)
        db = my.new_database()
        my.run(db, "CREATE TABLE t (id INT PRIMARY KEY, " + ", ".join(f"c{i} INT" for i in range(30)) + ")")
        assert not findings(report(my.dsn(db)), "setting", setting="performance_schema_digests_size")
        # 300 statements with distinct texts (different column lists): more than the 200 digests allowed
        workload(my, db, [(f"SELECT c{i % 30}, c{(i // 30) % 30} FROM t WHERE id = {i}", None) for i in range(300)])
        rep = report(my.dsn(db))
        hit = findings(rep, "setting", setting="performance_schema_digests_size")
        assert len(hit) == 1
        assert hit[0].evidence["current"] == 200 and hit[0].evidence["overflow_calls"] > 0
        suggested = int(hit[0].evidence["config"].split("=")[1])
        assert suggested > 200
