"""The engineer's review on a real MariaDB (performance_schema ON): schema design, transaction pattern and
caching checks, each with a hit and a near miss (and, where the fix is SQL, the fix applied)."""

from __future__ import annotations

import threading
import time

import pytest

from dbxray.engines.mysql.parents import n_plus_one_extras
from dbxray.pipeline import collect_snapshot
from tests.design.helpers import check_errors, findings, my_conn, my_forget_seed, my_run, report


def _fix(my, db: str, sql: str) -> None:
    """Run a finding's fix SQL: every statement that is not a comment."""
    for line in sql.splitlines():
        stmt = line.split("  --")[0].strip()
        if stmt and not stmt.startswith("--"):
            my.run(db, stmt)


# -- schema design --------------------------------------------------------------------------------------

def test_money_in_floating_point(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE invoices (id BIGINT PRIMARY KEY, total_amount DOUBLE NOT NULL, weight_kg FLOAT,
                               tax_rate FLOAT, net DECIMAL(12, 2));
        CREATE TABLE wallets (id BIGINT PRIMARY KEY, currency CHAR(3), topup FLOAT, risk_score DOUBLE);
    """)
    rep = report(my.dsn(db))
    assert not check_errors(rep)
    hits = {(f.object["table"], f.object["columns"][0]): f for f in findings(rep, "money_float")}
    assert set(hits) == {("invoices", "total_amount"), ("wallets", "topup")}
    assert hits[("invoices", "total_amount")].sql.startswith(
        f"ALTER TABLE `{db}`.`invoices` MODIFY `total_amount` DECIMAL(19, 4) NOT NULL;")
    for f in hits.values():
        _fix(my, db, f.sql)
    assert not findings(report(my.dsn(db)), "money_float")


def test_join_column_without_a_foreign_key(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40));
        CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id INT, total DECIMAL(10, 2), KEY (customer_id));
        CREATE TABLE payments (id BIGINT PRIMARY KEY, order_id BIGINT, amount DECIMAL(10, 2),
                               FOREIGN KEY (order_id) REFERENCES orders (id));
        INSERT INTO customers SELECT seq, CONCAT('c', seq) FROM seq_1_to_200;
        INSERT INTO orders SELECT seq, 1 + seq % 200, seq FROM seq_1_to_2000;
        INSERT INTO payments SELECT seq, seq, seq FROM seq_1_to_2000;
    """)
    my_forget_seed(my)
    conn = my_conn(my, db)
    try:
        for i in range(1, 151):
            my_run(conn, "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = %s",
                   (i,))
            my_run(conn, "SELECT p.amount FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.id = %s", (i,))
    finally:
        conn.close()
    rep = report(my.dsn(db))
    hits = findings(rep, "missing_foreign_key")
    assert [f.object["table"] for f in hits] == ["orders"]  # payments.order_id has its foreign key
    f = hits[0]
    assert f.severity == "warning" and f.object["columns"] == ["customer_id"]
    assert f.evidence["references"] == f"{db}.customers(id)" and f.evidence["join_calls"] >= 150
    _fix(my, db, f.sql)
    assert not findings(report(my.dsn(db)), "missing_foreign_key")


def test_foreign_key_whose_type_differs_from_the_key(my_db):
    my, db = my_db
    # restored out of order with foreign_key_checks = 0: the child's INT points at a BIGINT key
    my.run(db, """
        SET foreign_key_checks = 0;
        CREATE TABLE events (id INT PRIMARY KEY, account_id INT, KEY (account_id),
                             CONSTRAINT events_account FOREIGN KEY (account_id) REFERENCES accounts (id));
        CREATE TABLE accounts (id BIGINT PRIMARY KEY, code VARCHAR(20) UNIQUE);
        SET foreign_key_checks = 1;
        CREATE TABLE tagged (id INT PRIMARY KEY, code VARCHAR(50), FOREIGN KEY (code) REFERENCES accounts (code));
    """)
    rep = report(my.dsn(db))
    hits = findings(rep, "foreign_key_type_mismatch")
    assert [f.object["table"] for f in hits] == ["events"]  # VARCHAR lengths may differ: near miss
    f = hits[0]
    assert f.severity == "warning" and "2,147,483,647" in f.evidence["why"]
    _fix(my, db, f.sql)
    assert not findings(report(my.dsn(db)), "foreign_key_type_mismatch")
    assert my.scalar(f"SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{db}' "
                     "AND TABLE_NAME = 'events' AND COLUMN_NAME = 'account_id'") == "bigint(20)"


def test_integer_key_on_a_fast_growing_table(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE clicks (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME);
        CREATE TABLE big_clicks (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME);
        CREATE TABLE quiet (id INT AUTO_INCREMENT PRIMARY KEY, v INT);
        INSERT INTO quiet (v) VALUES (1);
    """)
    base = collect_snapshot(my.dsn(db))
    my.run(db, """
        INSERT INTO clicks (at) SELECT NOW() FROM seq_1_to_60;
        INSERT INTO big_clicks (at) SELECT NOW() FROM seq_1_to_60;
    """)
    time.sleep(2.0)  # an interval of seconds: 60 inserts are tens a second
    # tens of inserts a second: years, not days (within 90 days it would be the growth check's)
    lowered = {"min_observed_s": 0.0, "warn_years": 20.0, "info_years": 40.0}
    rep = report(my.dsn(db), baseline=base, int_key_growth=lowered)
    hits = findings(rep, "int_key_growth")
    assert [f.object["table"] for f in hits] == ["clicks"]  # BIGINT, and a table without inserts: near misses
    f = hits[0]
    assert f.severity == "warning" and "AUTO_INCREMENT values used" in f.evidence["measured"]
    assert "interval since the baseline" in f.evidence["measured"]
    assert 90 / 365.25 < f.evidence["years_left"] < 20
    assert f.sql.startswith(f"ALTER TABLE `{db}`.`clicks` MODIFY `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT;")
    assert not findings(report(my.dsn(db), baseline=base), "int_key_growth")  # too short a window by default
    _fix(my, db, f.sql)
    assert not findings(report(my.dsn(db), baseline=base, int_key_growth=lowered), "int_key_growth")


def test_uuid_primary_key_on_a_large_clustered_index(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE sessions (id CHAR(36) PRIMARY KEY, v INT, KEY (v));
        INSERT INTO sessions SELECT UUID(), seq FROM seq_1_to_20000;
        CREATE TABLE counters (id BIGINT PRIMARY KEY, v INT);
        INSERT INTO counters SELECT seq, seq FROM seq_1_to_20000;
        ANALYZE TABLE sessions, counters;
    """)
    rep = report(my.dsn(db), random_uuid_key={"min_index_bytes": 100000})
    hits = findings(rep, "random_uuid_key")
    assert [f.object["table"] for f in hits] == ["sessions"]
    assert hits[0].severity == "info" and hits[0].evidence["secondary_indexes"] == ["v"]
    assert not findings(report(my.dsn(db)), "random_uuid_key")  # below 1 GiB by default


def test_event_times_in_datetime_are_info(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE audit (id INT PRIMARY KEY, created_at DATETIME, sent DATETIME, birthday DATE, opens DATETIME);
        CREATE TABLE audit_ts (id INT PRIMARY KEY, created_at TIMESTAMP NULL);
    """)
    hits = findings(report(my.dsn(db)), "timestamp_without_tz")
    assert [f.object["table"] for f in hits] == ["audit"]
    assert hits[0].severity == "info" and hits[0].object["columns"] == ["created_at", "sent"]


def test_hot_statement_reading_few_columns_of_wide_rows(my_db):
    my, db = my_db
    cols = ", ".join(f"c{i} VARCHAR(200)" for i in range(10))
    vals = ", ".join(f"REPEAT(MD5(seq + {i}), 4)" for i in range(10))
    my.run(db, f"""
        CREATE TABLE profiles (id BIGINT PRIMARY KEY, status INT, {cols});
        INSERT INTO profiles SELECT seq, seq % 10, {vals} FROM seq_1_to_12000;
        CREATE TABLE slim (id BIGINT PRIMARY KEY, status INT, note VARCHAR(10));
        INSERT INTO slim SELECT seq, seq % 10, 'n' FROM seq_1_to_12000;
        ANALYZE TABLE profiles, slim;
    """)
    my_forget_seed(my)
    conn = my_conn(my, db)
    try:
        my_run(conn, "SELECT id, status FROM profiles WHERE status = %s", (3,), times=30)
        my_run(conn, "SELECT id, status FROM slim WHERE status = %s", (3,), times=30)
    finally:
        conn.close()
    hits = findings(report(my.dsn(db)), "wide_row_reads")
    assert [f.object["table"] for f in hits] == ["profiles"]
    f = hits[0]
    assert f.evidence["avg_row_bytes"] >= 1000 and f.evidence["rows_examined_per_call"] >= 12000
    assert f.sql == (f"ALTER TABLE `{db}`.`profiles` ADD INDEX (`status`, `id`);"
                     "  -- covering; online (ALGORITHM=INPLACE)")
    _fix(my, db, f.sql)


def test_select_star_on_a_table_with_large_columns(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE articles (id BIGINT PRIMARY KEY, title VARCHAR(100), body MEDIUMTEXT);
        INSERT INTO articles SELECT seq, CONCAT('t', seq), REPEAT(MD5(seq), 200) FROM seq_1_to_4000;
        CREATE TABLE tags (id BIGINT PRIMARY KEY, label VARCHAR(20));
        INSERT INTO tags SELECT seq, CONCAT('l', seq) FROM seq_1_to_4000;
        ANALYZE TABLE articles, tags;
    """)
    my_forget_seed(my)
    conn = my_conn(my, db)
    try:
        my_run(conn, "SELECT * FROM articles WHERE id BETWEEN %s AND %s", (1, 50), times=30)
        my_run(conn, "SELECT * FROM tags WHERE id BETWEEN %s AND %s", (1, 50), times=30)
        my_run(conn, "SELECT id, title FROM articles WHERE id BETWEEN %s AND %s", (1, 50), times=30)
    finally:
        conn.close()
    hits = findings(report(my.dsn(db)), "select_star_wide")
    assert [f.object["table"] for f in hits] == ["articles"]
    f = hits[0]
    assert f.severity == "warning" and f.evidence["large_columns"] == ["body"]
    assert f.evidence["rewrite"] == "SELECT `id`, `title` FROM `articles` …"


def test_json_filter_without_an_index_on_the_path(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE docs (id BIGINT PRIMARY KEY, attrs JSON);
        INSERT INTO docs SELECT seq, JSON_OBJECT('color', CONCAT('c', seq % 50), 'size', seq % 7) FROM seq_1_to_20000;
        CREATE TABLE items (id BIGINT PRIMARY KEY, attrs JSON,
                            color VARCHAR(50) AS (JSON_VALUE(attrs, '$.color')) VIRTUAL, KEY (color));
        INSERT INTO items (id, attrs) SELECT seq, JSON_OBJECT('color', CONCAT('c', seq % 50)) FROM seq_1_to_20000;
        ANALYZE TABLE docs, items;
    """)
    my_forget_seed(my)
    # statement samples need the statements_current consumer (history depends on it; off by default)
    was = my.scalar("SELECT ENABLED FROM performance_schema.setup_consumers WHERE NAME = 'events_statements_current'")
    my.run(None, "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' "
                 "WHERE NAME IN ('events_statements_current', 'events_statements_history')")
    app = my_conn(my, db)  # a pooled connection: its statement history (with the path) stays
    try:
        for _ in range(60):  # performance_schema keeps each connection's last ten statements
            my_run(app, "SELECT id FROM docs WHERE JSON_VALUE(attrs, '$.color') = %s", ("c7",))
            my_run(app, "SELECT id FROM items WHERE color = %s", ("c7",))  # the indexed column: near miss
        samples = str(collect_snapshot(my.dsn(db))["statement_samples"].to_dict())
        assert "'$.color'" in samples and "c7" not in samples  # paths, never values
        hits = findings(report(my.dsn(db)), "json_unindexed_filter")
        assert [f.object["table"] for f in hits] == ["docs"]
        f = hits[0]
        assert f.evidence["path"] == "$.color" and f.evidence["proven"] is False
        assert f.sql == (f"ALTER TABLE `{db}`.`docs` ADD COLUMN `attrs_color` VARCHAR(255) AS (JSON_VALUE("
                         "`attrs`, '$.color')) VIRTUAL, ADD INDEX `attrs_color_idx` (`attrs_color`);")
        assert "filter on attrs_color" in f.recommendation
        _fix(my, db, f.sql)
        # indexed now, but the digest still filters on the expression: MariaDB will not use the index
        again = findings(report(my.dsn(db)), "json_unindexed_filter")
        assert again and again[0].sql is None and again[0].evidence["indexed_column_unused"] == "attrs_color"
    finally:
        app.close()
        my.run(None, f"UPDATE performance_schema.setup_consumers SET ENABLED = '{was}' "
                     "WHERE NAME = 'events_statements_current'")


def test_over_indexed_write_heavy_table(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, a INT, b INT, c INT, d INT, e INT, f INT,
                             KEY ka (a), KEY kb (b), KEY kc (c), KEY kd (d), KEY ke (e), KEY kf (f));
        CREATE TABLE lean (id BIGINT AUTO_INCREMENT PRIMARY KEY, a INT, b INT, KEY ka (a));
        INSERT INTO events (a, b, c, d, e, f) SELECT seq, seq, seq, seq, seq, seq FROM seq_1_to_20000;
        INSERT INTO lean (a, b) SELECT seq, seq FROM seq_1_to_20000;
    """)
    conn = my_conn(my, db)
    try:
        my_run(conn, "SELECT id FROM events WHERE a = %s", (5,), times=20)
        my_run(conn, "SELECT id FROM lean WHERE a = %s", (5,), times=20)
    finally:
        conn.close()
    hits = findings(report(my.dsn(db), over_indexing={"min_observed_s": 0.0, "min_writes_per_s": 0.0}),
                    "over_indexing")
    assert [f.object["table"] for f in hits] == ["events"]
    f = hits[0]
    assert f.severity == "warning" and set(f.evidence["unused"]) == {"kb", "kc", "kd", "ke", "kf"}
    assert f"ALTER TABLE `{db}`.`events` ALTER INDEX `kb` IGNORED;" in f.sql


def test_n_plus_one_parent_and_batched_forms(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE products (id INT PRIMARY KEY, category VARCHAR(20), name VARCHAR(40), KEY (category));
        INSERT INTO products SELECT seq, CONCAT('cat', seq % 8), CONCAT('p', seq) FROM seq_1_to_2000;
    """)
    conn = my_conn(my, db)
    try:
        for page in range(60):
            with conn.cursor() as cur:
                cur.execute("SELECT id FROM products WHERE category = %s ORDER BY id LIMIT 20",
                            (f"cat{page % 8}",))
                ids = [r[0] for r in cur.fetchall()]
                for pid in ids:
                    cur.execute("SELECT id, name FROM products WHERE id = %s", (pid,))
                    cur.fetchall()
    finally:
        conn.close()
    from dbxray.engines.mysql.checks.helpers import records, statements
    from dbxray.report import summary as summ

    snap = collect_snapshot(my.dsn(db))
    frame, _ = statements(snap)
    rows = list(records(summ.statements(frame)))
    def flat(r):
        return "".join(str(r["query"]).lower().replace("`", "").split())

    child = next(r for r in rows if flat(r) == "selectid,namefromproductswhereid=?")
    extras = n_plus_one_extras(snap, rows, child)
    parent = next(r for r in rows if "category=?" in flat(r))
    assert extras["parent_query_id"] == str(parent["queryid"]) and extras["loop_size"] == 20
    assert extras["batched_query"].endswith("IN (?, ?, …)")
    assert "JOIN `products` ON `products`.`id` = parent.`id`" in extras["batched_join"]
    # near miss: the parent itself has no parent
    assert "parent_query_id" not in n_plus_one_extras(snap, rows, parent)
    # wired into the n_plus_one check: the finding shows the batched statement
    f = findings(report(my.dsn(db)), "n_plus_one")[0]
    assert f.evidence["batched_query"].endswith("IN (?, ?, …)") and "batched_join" in f.evidence


# -- transactions ------------------------------------------------------------------------------------------

def test_rollback_share_over_an_interval(own_db):
    my, db = own_db
    my.run(db, "CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 0);")
    base = collect_snapshot(my.dsn(db))
    conn = my_conn(my, db, autocommit=False)
    try:
        for i in range(1200):
            my_run(conn, "SELECT v FROM t WHERE id = 1")
            conn.rollback() if i % 5 == 0 else conn.commit()
    finally:
        conn.close()
    rep = report(my.dsn(db), baseline=base)
    hits = findings(rep, "rollback_rate")
    assert len(hits) == 1 and hits[0].severity == "warning"
    assert 15 <= hits[0].evidence["rollback_pct"] <= 25
    assert "interval since the baseline" in hits[0].evidence["measured"]
    base = collect_snapshot(my.dsn(db))  # near miss: an interval where every transaction commits
    conn = my_conn(my, db, autocommit=False)
    try:
        for _ in range(1200):
            my_run(conn, "SELECT v FROM t WHERE id = 1")
            conn.commit()
    finally:
        conn.close()
    assert not findings(report(my.dsn(db), baseline=base), "rollback_rate")


def test_row_lock_waits_over_an_interval(own_db):
    my, db = own_db
    my.run(db, "CREATE TABLE hot (id INT PRIMARY KEY, v INT); INSERT INTO hot VALUES (1, 0);")
    base = collect_snapshot(my.dsn(db))
    for _ in range(4):
        holder, waiter = my_conn(my, db, autocommit=False), my_conn(my, db)
        try:
            my_run(holder, "SELECT v FROM hot WHERE id = 1 FOR UPDATE")
            t = threading.Thread(target=my_run, args=(waiter, "UPDATE hot SET v = v + 1 WHERE id = 1"))
            t.start()
            time.sleep(0.7)
            holder.commit()
            t.join(10)
        finally:
            holder.close()
            waiter.close()
    hits = findings(report(my.dsn(db), baseline=base, row_lock_waits={"min_waits": 3}), "row_lock_waits")
    assert len(hits) == 1 and hits[0].severity == "warning"
    assert hits[0].evidence["waits"] == 4 and hits[0].evidence["avg_wait_ms"] >= 500
    # near miss: an interval without waits
    base = collect_snapshot(my.dsn(db))
    my.run(db, "UPDATE hot SET v = v + 1 WHERE id = 1")
    assert not findings(report(my.dsn(db), baseline=base, row_lock_waits={"min_waits": 3}), "row_lock_waits")


# -- caching -----------------------------------------------------------------------------------------------

def test_cache_candidate_on_a_table_that_rarely_changes(my_db):
    my, db = my_db
    my.run(db, """
        CREATE TABLE app_settings (name VARCHAR(20) PRIMARY KEY, value VARCHAR(20));
        INSERT INTO app_settings SELECT CONCAT('k', seq), CONCAT('v', seq) FROM seq_1_to_20;
        CREATE TABLE stock (sku VARCHAR(20) PRIMARY KEY, qty INT);
        INSERT INTO stock SELECT CONCAT('s', seq), 100 FROM seq_1_to_20;
    """)
    my_forget_seed(my)
    conn = my_conn(my, db)
    try:
        for i in range(3000):
            my_run(conn, "SELECT value FROM app_settings WHERE name = %s", (f"k{i % 20 + 1}",))
            my_run(conn, "SELECT qty FROM stock WHERE sku = %s", (f"s{i % 20 + 1}",))
            my_run(conn, "UPDATE stock SET qty = qty - 1 WHERE sku = %s", (f"s{i % 20 + 1}",))
    finally:
        conn.close()
    hits = findings(report(my.dsn(db), cache_candidate={"warn_share_pct": 100.0}), "cache_candidate")
    assert [f.object["table"] for f in hits] == ["app_settings"]  # stock is written on every read
    f = hits[0]
    assert f.severity == "info" and f.evidence["calls"] == 3000
    assert f.evidence["table_changes"][f"{db}.app_settings"]["writes"] == 20


@pytest.fixture
def small_pool_mariadb():
    """A MariaDB with a 16 MB buffer pool (performance_schema ON), so a 40 MB table cannot stay in it."""
    from tests.mysql.servers import start_mysql, stop

    server = start_mysql(performance_schema=True, settings={"innodb-buffer-pool-size": "16M"})
    db = server.new_database()
    yield server, db
    stop(server)


def test_buffer_pool_hit_ratio_with_the_working_set(small_pool_mariadb):
    my, db = small_pool_mariadb
    my.run(db, """
        CREATE TABLE facts (id BIGINT PRIMARY KEY, payload VARCHAR(400));
        INSERT INTO facts SELECT seq, REPEAT('x', 350) FROM seq_1_to_100000;
        CREATE TABLE small (id INT PRIMARY KEY, v INT);
        INSERT INTO small SELECT seq, seq FROM seq_1_to_100;
        ANALYZE TABLE facts, small;
    """)
    base = collect_snapshot(my.dsn(db))
    conn = my_conn(my, db)
    try:
        my_run(conn, "SELECT COUNT(*) FROM facts WHERE payload <> %s", ("y",), times=8)
    finally:
        conn.close()
    rep = report(my.dsn(db), baseline=base, cache_hit_ratio={"min_requests": 10000})
    hits = findings(rep, "cache_hit_ratio")
    assert len(hits) == 1 and hits[0].evidence["hit_pct"] < 99
    f = hits[0]
    assert f.evidence["working_set_tables"][0] == f"{db}.facts" and f.evidence["working_set_bytes"] > 16 * 1048576
    # the whole data set is larger than the pool: the setting check warns, this one adds the working set
    assert f.severity == "info" and f.evidence["see_also"] == "setting:innodb_buffer_pool_size"
    assert any(s.object.get("setting") == "innodb_buffer_pool_size" for s in findings(rep, "setting"))
    # near miss: an interval of lookups that fit
    base = collect_snapshot(my.dsn(db))
    conn = my_conn(my, db)
    try:
        my_run(conn, "SELECT v FROM small WHERE id = %s", (5,), times=3000)
    finally:
        conn.close()
    assert not findings(report(my.dsn(db), baseline=base, cache_hit_ratio={"min_requests": 1000}), "cache_hit_ratio")

