"""MySQL 8 (through testcontainers; skipped without a Docker daemon): the version traps.

SHA-256 digests (64 hex), lock waits from performance_schema.data_lock_waits / data_locks (the
INNODB_LOCK_WAITS view is gone), the MySQL 8 collector variants, functional key parts."""

from __future__ import annotations

import threading
import time

import pymysql
import pytest

from dbxray.connect import connect
from dbxray.engines.mysql.advisor.explain import advise_mysql
from dbxray.pipeline import collect_snapshot
from tests.mysql.servers import MyServer, findings, report, workload

SEED = """
    SET SESSION cte_max_recursion_depth = 100000;
    CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, note VARCHAR(40), KEY k_note ((LOWER(note))),
                         KEY k1 (note), KEY k2 (note));
    INSERT INTO orders WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20000)
                       SELECT n, 1 + n % 2000, CONCAT('n', n) FROM s;
    ANALYZE TABLE orders;
"""


@pytest.fixture
def shop8(mysql8: MyServer):
    db = mysql8.new_database()
    mysql8.run(db, SEED)
    yield mysql8, db
    mysql8.drop_database(db)


def test_mysql8_variants_sha256_digests_and_index_advice(shop8):
    my, db = shop8
    workload(my, db, [("SELECT id FROM orders WHERE customer_id = %s", (i,)) for i in range(20)])
    snap = collect_snapshot(my.dsn(db))
    runs = {c.name: c for c in snap.collectors}
    assert snap.meta["flavor"] == "mysql"
    assert runs["statements"].source == "statements_mysql80028.sql" and runs["statements"].status == "ok"
    assert runs["lock_waits"].source == "lock_waits_mysql80.sql" and runs["lock_waits"].status == "ok"
    assert runs["indexes"].source == "indexes_mysql80.sql"
    for name in ("server", "settings", "status", "tables", "columns", "transactions", "activity", "database"):
        assert runs[name].status == "ok", (name, runs[name].detail)
    stmts = snap["statements"]
    assert stmts["queryid"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert "p95_exec_ms" in stmts and "cpu_ms" in stmts
    ix = snap["indexes"].set_index("index")
    assert "LOWER" in ix.loc["k_note", "expressions"].upper()
    rep = report(my.dsn(db))
    assert findings(rep, "duplicate_index", index="k2")
    assert not [f for f in findings(rep, "redundant_index") if f.object["index"] == "k_note"]
    with connect(my.dsn(db)) as session:
        advice = advise_mysql(session, snap)
    assert [f.object["columns"] for f in advice] == [["customer_id"]]
    assert advice[0].evidence["full_scan"] is True
    assert "INVISIBLE" in findings(rep, "duplicate_index", index="k2")[0].sql


def test_mysql8_lock_waits_from_data_lock_waits(shop8):
    my, db = shop8
    blocker = pymysql.connect(host=my.host, port=my.port, user=my.user, password=my.password, database=db)
    waiter = pymysql.connect(host=my.host, port=my.port, user=my.user, password=my.password, database=db,
                             autocommit=True)
    with blocker.cursor() as cur:
        cur.execute("UPDATE orders SET note = 'x' WHERE id = 5")

    def wait() -> None:
        try:
            with waiter.cursor() as cur:
                cur.execute("SET SESSION innodb_lock_wait_timeout = 20")
                cur.execute("UPDATE orders SET note = 'y' WHERE id = 5")
        except pymysql.err.MySQLError:
            pass

    th = threading.Thread(target=wait, daemon=True)
    th.start()
    try:
        time.sleep(2)
        rep = report(my.dsn(db), lock_contention={"min_wait_s": 1})
        hit = findings(rep, "lock_contention", pid=blocker.thread_id())
        assert len(hit) == 1 and hit[0].object["table"] == "orders"
        assert hit[0].evidence["source"] == "performance_schema.data_lock_waits"
    finally:
        blocker.rollback()
        th.join(25)
        blocker.close()
        waiter.close()
