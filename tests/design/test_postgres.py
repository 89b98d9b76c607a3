"""The engineer's review on a real PostgreSQL: schema design, transaction pattern and caching checks, each
with a hit and a near miss (and, where the fix is SQL, the fix applied and the finding gone)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from dbxray.pipeline import collect_snapshot
from tests.design.helpers import check_errors, findings, live, pg_flush, pg_forget_seed, pg_run, report

STATS = "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;"  # statement statistics in this database


def _fix(pg, name: str, sql: str) -> None:
    """Run a finding's fix SQL the way a DBA would: every statement that is not a comment."""
    with pg.connect(name) as conn:
        for line in sql.splitlines():
            stmt = line.split("  --")[0].strip()
            if stmt and not stmt.startswith("--"):
                conn.execute(stmt)


# -- schema design --------------------------------------------------------------------------------------

def test_money_in_floating_point(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE invoices (id bigint PRIMARY KEY, total_amount double precision, weight_kg double precision,
                               tax_rate real, net numeric(12, 2));
        CREATE TABLE wallets (id bigint PRIMARY KEY, currency char(3), topup real, risk_score float8);
        CREATE TABLE sensors (id bigint PRIMARY KEY, reading float8);
    """)
    rep = report(pg.dsn(name))
    hits = {(f.object["table"], f.object["columns"][0]): f for f in findings(rep, "money_float")}
    # the name says money; next to a currency column, a number is an amount unless its name says otherwise
    assert set(hits) == {("invoices", "total_amount"), ("wallets", "topup")}
    assert hits[("wallets", "topup")].evidence["why_money"] == "the currency column next to it"
    assert all(f.severity == "warning" for f in hits.values())
    for f in hits.values():
        _fix(pg, name, f.sql)
    assert not findings(report(pg.dsn(name)), "money_float")
    with pg.connect(name) as conn:
        assert conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                            "'invoices'::regclass AND attname = 'total_amount'").fetchone()[0] == "numeric(19,4)"


def test_join_column_without_a_foreign_key(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE customers (id int PRIMARY KEY, name text);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total numeric);
        CREATE TABLE payments (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id), amount numeric);
        CREATE TABLE notes (id bigint PRIMARY KEY, order_ref bigint, body text);
        INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 200) g;
        INSERT INTO orders SELECT g, 1 + g % 200, g FROM generate_series(1, 2000) g;
        INSERT INTO payments SELECT g, g, g FROM generate_series(1, 2000) g;
        INSERT INTO notes SELECT g, g, 'n' FROM generate_series(1, 50) g;
    """)
    with pg.connect(name) as conn:
        for i in range(1, 151):
            pg_run(conn, "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = %s",
                   (i,))
            pg_run(conn, "SELECT p.amount FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.id = %s", (i,))
        for i in range(1, 6):  # a rare join: still a missing constraint, but info
            pg_run(conn, "SELECT body FROM notes WHERE order_ref IN (SELECT id FROM orders WHERE total > %s)", (i,))
    rep = report(pg.dsn(name))
    hits = {f.object["table"]: f for f in findings(rep, "missing_foreign_key")}
    assert set(hits) == {"orders", "notes"}  # payments.order_id has its foreign key: near miss
    o = hits["orders"]
    assert o.severity == "warning" and o.object["columns"] == ["customer_id"]
    assert o.evidence["references"] == "public.customers(id)" and o.evidence["join_calls"] >= 150
    assert "integer key" in o.evidence["type_mismatch"]  # bigint pointing at int: info-level difference
    assert hits["notes"].severity == "info" and hits["notes"].object["columns"] == ["order_ref"]
    _fix(pg, name, o.sql)
    with pg.connect(name) as conn:
        assert conn.execute("SELECT convalidated FROM pg_constraint WHERE conname = 'orders_customer_id_fkey'"
                            ).fetchone()[0] is True
    assert {f.object["table"] for f in findings(report(pg.dsn(name)), "missing_foreign_key")} == {"notes"}


def test_foreign_key_whose_type_differs_from_the_key(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE accounts (id bigint PRIMARY KEY, code varchar(20) UNIQUE);
        CREATE TABLE events (id bigint PRIMARY KEY, account_id int REFERENCES accounts (id));
        CREATE TABLE tags (id int PRIMARY KEY);
        CREATE TABLE tagged (id bigint PRIMARY KEY, tag_id bigint REFERENCES tags (id),
                             account_code text REFERENCES accounts (code));
    """)
    rep = report(pg.dsn(name))
    hits = {(f.object["table"], f.object["columns"][0]): f for f in findings(rep, "foreign_key_type_mismatch")}
    # text -> varchar is binary-compatible: never reported
    assert set(hits) == {("events", "account_id"), ("tagged", "tag_id")}
    narrow = hits[("events", "account_id")]
    assert narrow.severity == "warning" and "2,147,483,647" in narrow.evidence["why"]
    assert hits[("tagged", "tag_id")].severity == "info"
    _fix(pg, name, narrow.sql)
    after = {(f.object["table"], f.object["columns"][0]) for f in findings(report(pg.dsn(name)),
                                                                          "foreign_key_type_mismatch")}
    assert after == {("tagged", "tag_id")}


def test_integer_key_on_a_fast_growing_table(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE clicks (id serial PRIMARY KEY, at timestamptz DEFAULT now());
        CREATE TABLE big_clicks (id bigserial PRIMARY KEY, at timestamptz DEFAULT now());
        CREATE TABLE quiet (id serial PRIMARY KEY, v int);
        INSERT INTO quiet (v) VALUES (1);
    """)
    base = collect_snapshot(pg.dsn(name))
    with pg.connect(name) as conn:
        conn.execute("INSERT INTO clicks (at) SELECT now() FROM generate_series(1, 150)")
        conn.execute("INSERT INTO big_clicks (at) SELECT now() FROM generate_series(1, 150)")
        pg_flush(conn)
    # the insert rate over the interval since the baseline: 150 rows in a few seconds, tens a second (a key
    # running out within 90 days would be the growth check's, which measures between two runs too)
    lowered = {"min_observed_s": 0.0, "warn_years": 10.0, "info_years": 20.0}
    rep = report(pg.dsn(name), baseline=base, int_key_growth=lowered)
    hits = findings(rep, "int_key_growth")
    assert [f.object["table"] for f in hits] == ["clicks"]  # bigint and an idle table: near misses
    f = hits[0]
    assert f.severity == "warning" and f.evidence["current_from"].startswith("sequence")
    assert f.evidence["measured"].endswith("(interval since the baseline)")
    assert 90 / 365.25 < f.evidence["years_left"] < 10
    assert "ALTER TABLE public.clicks ALTER COLUMN id TYPE bigint" in f.sql
    assert "ALTER SEQUENCE public.clicks_id_seq AS bigint" in f.sql
    # too short a window to extrapolate with the default: nothing
    assert not findings(report(pg.dsn(name), baseline=base), "int_key_growth")
    # without a baseline: the rate since the statistics reset
    since = findings(report(pg.dsn(name), int_key_growth={**lowered, "warn_years": 1e6, "info_years": 1e6}),
                     "int_key_growth")
    by_table = {f.object["table"]: f for f in since}
    assert set(by_table) == {"clicks", "quiet"}  # any insert at all, with no horizon; bigint never
    assert by_table["clicks"].evidence["years_left"] < by_table["quiet"].evidence["years_left"]
    assert by_table["clicks"].evidence["measured"].endswith("(since the statistics reset)")
    _fix(pg, name, f.sql)
    assert not findings(report(pg.dsn(name), baseline=base, int_key_growth=lowered), "int_key_growth")


def test_random_uuid_primary_key_on_a_large_index(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), v int);
        INSERT INTO sessions (v) SELECT g FROM generate_series(1, 20000) g;
        -- uuids written in key order (time-ordered ids): the index grows at its right edge
        CREATE TABLE ordered (id uuid PRIMARY KEY, v int);
        INSERT INTO ordered SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, g
          FROM generate_series(1, 20000) g;
        CREATE TABLE counters (id bigint PRIMARY KEY, v int);
        INSERT INTO counters SELECT g, g FROM generate_series(1, 20000) g;
        ANALYZE;
    """)
    rep = report(pg.dsn(name), random_uuid_key={"min_index_bytes": 100000})
    hits = findings(rep, "random_uuid_key")
    assert [f.object["table"] for f in hits] == ["sessions"]
    assert hits[0].severity == "info" and "gen_random_uuid" in hits[0].evidence["random_because"]
    # below the size bar (1 GiB by default) nothing is said
    assert not findings(report(pg.dsn(name)), "random_uuid_key")


def test_event_times_without_a_time_zone_are_info(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE audit (id bigint PRIMARY KEY, created_at timestamp, sent timestamp, birthday date,
                            opens timestamp);
        CREATE TABLE audit_tz (id bigint PRIMARY KEY, created_at timestamptz);
    """)
    rep = report(pg.dsn(name))
    hits = findings(rep, "timestamp_without_tz")
    assert [f.object["table"] for f in hits] == ["audit"]
    f = hits[0]
    assert f.severity == "info" and f.object["columns"] == ["created_at", "sent"]  # `opens`: not an event time
    _fix(pg, name, f.sql)
    assert not findings(report(pg.dsn(name)), "timestamp_without_tz")


def test_a_schema_wide_convention_is_one_finding_whose_sql_runs(pg_db):
    """Fourteen tables of one schema with event times in plain timestamps: one finding for the schema (not
    fourteen), its SQL migrates the tables it lists, and the two tables of another schema stay per table."""
    pg, name = pg_db
    tables = "".join(f"CREATE TABLE app.t{i} (id bigint PRIMARY KEY, created_at timestamp);" for i in range(14))
    pg.run(name, STATS + f"""
        CREATE SCHEMA app; {tables}
        CREATE SCHEMA "Odd Schema";
        CREATE TABLE "Odd Schema".a (id bigint PRIMARY KEY, sent timestamp);
        CREATE TABLE "Odd Schema".b (id bigint PRIMARY KEY, sent timestamp);
    """)
    hits = findings(report(pg.dsn(name), timestamp_without_tz={"group_above": 10}), "timestamp_without_tz")
    grouped = [f for f in hits if f.object["schema"] == "app"]
    assert len(grouped) == 1 and grouped[0].object == {"schema": "app"}
    assert grouped[0].evidence["tables"] == 14 and grouped[0].evidence["column_count"] == 14
    assert sorted(f.object["table"] for f in hits if f.object["schema"] == "Odd Schema") == ["a", "b"]
    _fix(pg, name, grouped[0].sql)
    left = findings(report(pg.dsn(name), timestamp_without_tz={"group_above": 10}), "timestamp_without_tz")
    assert not [f for f in left if f.object["schema"] == "app"]


def test_hot_statement_reading_few_columns_of_wide_rows(pg_db):
    pg, name = pg_db
    filler = ", ".join(f"c{i} text" for i in range(12))
    values = ", ".join("md5(g::text || '" + str(i) + "') || md5(g::text) || md5(g::text || 'x')" for i in range(12))
    pg.run(name, STATS + f"""
        CREATE TABLE profiles (id bigint PRIMARY KEY, status int, {filler});
        INSERT INTO profiles SELECT g, g % 10, {values} FROM generate_series(1, 12000) g;
        CREATE TABLE slim (id bigint PRIMARY KEY, status int, note text);
        INSERT INTO slim SELECT g, g % 10, 'n' FROM generate_series(1, 12000) g;
        ANALYZE;
    """)
    pg_forget_seed(pg, name)
    with pg.connect(name) as conn:
        pg_run(conn, "SELECT id, status FROM profiles WHERE status = %s", (3,), times=40)
        pg_run(conn, "SELECT id, status FROM slim WHERE status = %s", (3,), times=40)
    rep = report(pg.dsn(name))
    hits = findings(rep, "wide_row_reads")
    assert [f.object["table"] for f in hits] == ["profiles"]  # the narrow table: near miss
    f = hits[0]
    assert f.severity == "warning" and f.evidence["row_bytes"] > 1000 and f.evidence["used_pct"] < 5
    assert f.object["columns"] == ["id", "status"]
    assert f.sql == "CREATE INDEX CONCURRENTLY ON public.profiles (status) INCLUDE (id);"


def test_select_star_on_a_toast_heavy_table(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE articles (id bigint PRIMARY KEY, title text, body text);
        ALTER TABLE articles ALTER COLUMN body SET STORAGE EXTERNAL;  -- out of line, uncompressed
        INSERT INTO articles SELECT g, 't' || g, repeat(md5(g::text), 200) FROM generate_series(1, 4000) g;
        CREATE TABLE tags (id bigint PRIMARY KEY, label text);
        INSERT INTO tags SELECT g, 'l' || g FROM generate_series(1, 4000) g;
        ANALYZE;
    """)
    pg_forget_seed(pg, name)
    with pg.connect(name) as conn:
        pg_run(conn, "SELECT * FROM articles WHERE id BETWEEN %s AND %s", (1, 50), times=30)
        pg_run(conn, "SELECT * FROM tags WHERE id BETWEEN %s AND %s", (1, 50), times=30)
        pg_run(conn, "SELECT id, title FROM articles WHERE id BETWEEN %s AND %s", (1, 50), times=30)
    rep = report(pg.dsn(name))
    hits = findings(rep, "select_star_wide")
    assert [f.object["table"] for f in hits] == ["articles"]  # * on a narrow table, named columns: near misses
    f = hits[0]
    assert f.severity == "warning" and f.evidence["toast_pct"] > 50 and "body" in f.evidence["large_columns"]
    assert f.evidence["rewrite"].startswith("SELECT id FROM public.articles")


def test_json_filter_without_a_fitting_index_proven_with_hypopg(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE EXTENSION IF NOT EXISTS hypopg;
        CREATE TABLE docs (id bigint PRIMARY KEY, attrs jsonb);
        INSERT INTO docs SELECT g, jsonb_build_object('status', 's' || (g % 100), 'tags', jsonb_build_array(g % 7))
          FROM generate_series(1, 30000) g;
        ANALYZE docs;
    """)
    pg_forget_seed(pg, name)
    app = psycopg.connect(pg.dsn(name), autocommit=True)  # a pooled session: it stays connected
    try:
        pg_run(app, "SELECT id FROM docs WHERE attrs @> %s::jsonb", ('{"tags": [3]}',), times=60)
        pg_run(app, "SELECT id FROM docs WHERE attrs ->> 'status' = %s", ("s7",), times=60)
        samples = collect_snapshot(pg.dsn(name))["statement_samples"]
        assert "'status'" in str(samples.to_dict()) and "s7" not in str(samples.to_dict())  # keys, never values
        rep = live(pg.dsn(name))
        assert not check_errors(rep)
        hits = {f.evidence["kind"]: f for f in findings(rep, "json_unindexed_filter")}
        assert set(hits) == {"path", "containment"}
        path = hits["path"]
        assert path.evidence["key"] == "status" and path.evidence["key_from"] == "a session's sample"
        assert path.sql == "CREATE INDEX CONCURRENTLY ON public.docs ((attrs ->> 'status'));"
        assert path.evidence["proven"] is True and path.evidence["cost_after"][0] < path.evidence["cost_before"][0]
        # the proven index is the cause of its statement's bottleneck
        chains = [b for b in rep.to_dict()["diagnosis"]["bottlenecks"] if path.id in b["finding_ids"]]
        assert chains and chains[0]["kind"] == "statement" and chains[0]["confidence"] == "proven"
        assert chains[0]["fix"]["sql"] == path.sql
        gin = hits["containment"]
        assert gin.sql == "CREATE INDEX CONCURRENTLY ON public.docs USING gin (attrs jsonb_path_ops);"
        assert gin.evidence["proven"] is False and "GIN" in gin.evidence["proof"]
        for f in hits.values():
            _fix(pg, name, f.sql)
        assert not findings(live(pg.dsn(name)), "json_unindexed_filter")  # both served now: near miss
    finally:
        app.close()


def test_over_indexed_write_heavy_table(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE events (id bigserial PRIMARY KEY, a int, b int, c int, d int, e int, f int, g text);
        CREATE INDEX events_a ON events (a); CREATE INDEX events_b ON events (b); CREATE INDEX events_c ON events (c);
        CREATE INDEX events_d ON events (d); CREATE INDEX events_e ON events (e); CREATE INDEX events_f ON events (f);
        CREATE TABLE lean (id bigserial PRIMARY KEY, a int, b int, c int, d int, e int, f int, g text);
        CREATE INDEX lean_a ON lean (a);
    """)
    with pg.connect(name) as conn:
        for table in ("events", "lean"):
            conn.execute(f"INSERT INTO {table} (a, b, c, d, e, f, g) SELECT g, g, g, g, g, g, 'x' "
                         "FROM generate_series(1, 20000) g")
        pg_run(conn, "SELECT id FROM events WHERE a = %s", (5,), times=20)
        pg_flush(conn)
    rep = report(pg.dsn(name), over_indexing={"min_observed_s": 0.0})
    hits = findings(rep, "over_indexing")
    assert [f.object["table"] for f in hits] == ["events"]
    f = hits[0]
    assert f.severity == "warning" and f.evidence["indexes"] == 7
    assert set(f.evidence["unused"]) == {"events_b", "events_c", "events_d", "events_e", "events_f"}
    assert "DROP INDEX CONCURRENTLY public.events_b;  -- undo: CREATE INDEX events_b" in f.sql
    _fix(pg, name, f.sql)
    assert not findings(report(pg.dsn(name), over_indexing={"min_observed_s": 0.0}), "over_indexing")


def test_updates_that_cannot_be_hot(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE jobs (id bigint PRIMARY KEY, state text, payload text) WITH (fillfactor = 70);
        CREATE INDEX jobs_state ON jobs (state);
        INSERT INTO jobs SELECT g, 'new', 'p' FROM generate_series(1, 3000) g;
        CREATE TABLE counters (id bigint PRIMARY KEY, hits int, label text) WITH (fillfactor = 70);
        INSERT INTO counters SELECT g, 0, 'c' FROM generate_series(1, 3000) g;
        CREATE TABLE tickets (id bigint PRIMARY KEY, state text, label text) WITH (fillfactor = 70);
        CREATE INDEX tickets_state ON tickets (state);
        INSERT INTO tickets SELECT g, 'open', 't' FROM generate_series(1, 3000) g;
    """)
    with pg.connect(name) as conn:
        for i in range(1, 3001):
            conn.execute("UPDATE jobs SET state = %s WHERE id = %s", ("done", i))
            conn.execute("UPDATE counters SET hits = hits + 1 WHERE id = %s", (i,))
            conn.execute("UPDATE tickets SET state = %s WHERE id = %s", ("closed", i))
            conn.execute("SELECT count(*) FROM tickets WHERE state = %s", ("open",)).fetchall()
        pg_flush(conn)
    rep = report(pg.dsn(name))
    by_table = {f.object["table"]: f for f in findings(rep, "hot_update_blocked")}
    assert set(by_table) == {"jobs", "tickets"}  # counters: its updates are HOT
    # tickets_state blocks HOT too, but every update is matched by a read that uses it: the price of the index
    assert by_table["tickets"].severity == "info" and by_table["tickets"].sql is None
    f = by_table["jobs"]
    assert f.severity == "warning" and f.evidence["blocking_indexes"] == {"jobs_state": ["state"]}
    assert f.evidence["hot_pct"] < 10
    assert "DROP INDEX CONCURRENTLY public.jobs_state" in f.sql


# -- transactions ------------------------------------------------------------------------------------------

def test_rollback_share_with_its_rate(pg_db):
    server, name = pg_db
    with server.connect(name) as conn:
        conn.autocommit = False
        for i in range(1200):
            conn.execute("SELECT 1")
            conn.rollback() if i % 5 == 0 else conn.commit()
        conn.autocommit = True
        pg_flush(conn)
    rep = report(server.dsn(name))
    hits = findings(rep, "rollback_rate")
    assert len(hits) == 1 and hits[0].severity == "warning"
    assert 15 <= hits[0].evidence["rollback_pct"] <= 25 and hits[0].evidence["rollbacks_per_hour"] > 0
    assert "since the statistics reset" in hits[0].evidence["measured"]
    # near miss: a database whose transactions commit
    other = server.new_database()
    try:
        with server.connect(other) as conn:
            conn.autocommit = False
            for _ in range(1200):
                conn.execute("SELECT 1")
                conn.commit()
            conn.autocommit = True
            pg_flush(conn)
        assert not findings(report(server.dsn(other)), "rollback_rate")
    finally:
        server.drop_database(other)


def _deadlock(dsn: str) -> None:
    a, b = psycopg.connect(dsn), psycopg.connect(dsn)
    try:
        a.execute("UPDATE acct SET v = v + 1 WHERE id = 1")
        b.execute("UPDATE acct SET v = v + 1 WHERE id = 2")
        errors = []

        def cross(conn, row):
            try:
                conn.execute("UPDATE acct SET v = v + 1 WHERE id = %s", (row,))
                conn.commit()
            except psycopg.errors.DeadlockDetected:
                errors.append(row)
                conn.rollback()

        threads = [threading.Thread(target=cross, args=(a, 2)), threading.Thread(target=cross, args=(b, 1))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors, "no deadlock happened"
    finally:
        a.close()
        b.close()


def test_deadlocks_per_hour(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + "CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0), (2, 0);")
    assert not findings(report(pg.dsn(name)), "deadlock_rate")  # near miss: none yet
    pg.run(name, "ALTER DATABASE " + name + " SET deadlock_timeout = '100ms'")
    for _ in range(2):
        _deadlock(pg.dsn(name))
    with pg.connect(name) as conn:
        pg_flush(conn)
    rep = report(pg.dsn(name), deadlock_rate={"min_observed_s": 0.0})
    hits = findings(rep, "deadlock_rate")
    assert len(hits) == 1 and hits[0].severity == "warning" and hits[0].evidence["deadlocks"] == 2
    assert hits[0].evidence["per_hour"] > 1
    chains = [b for b in rep.to_dict()["diagnosis"]["bottlenecks"] if hits[0].id in b["finding_ids"]]
    assert chains and chains[0]["kind"] == "locking"
    # a window too short to call two deadlocks a rate: info
    short = findings(report(pg.dsn(name), deadlock_rate={"min_observed_s": 1e9}), "deadlock_rate")
    assert len(short) == 1 and short[0].severity == "info"


def test_transactions_idle_between_their_statements(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + "CREATE TABLE t (id int PRIMARY KEY, v int); "
                         "INSERT INTO t SELECT g, 0 FROM generate_series(1, 50) g;")
    with pg.connect(name) as conn:
        conn.autocommit = False
        for i in range(1, 31):  # the application does slow work while its transaction holds the row
            conn.execute("UPDATE t SET v = v + 1 WHERE id = %s", (i,))
            time.sleep(0.2)
            conn.execute("SELECT v FROM t WHERE id = %s", (i,)).fetchall()
            conn.commit()
        conn.autocommit = True
        pg_flush(conn)
    rep = report(pg.dsn(name), idle_transaction_time={"min_transactions": 20})
    hits = findings(rep, "idle_transaction_time")
    assert len(hits) == 1 and hits[0].severity == "warning"
    assert hits[0].evidence["avg_idle_ms_per_transaction"] >= 150
    other = pg.new_database()
    try:  # near miss: the same transactions without the slow work inside
        pg.run(other, "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, 0 FROM "
                      "generate_series(1, 50) g;")
        with pg.connect(other) as conn:
            conn.autocommit = False
            for i in range(1, 31):
                conn.execute("UPDATE t SET v = v + 1 WHERE id = %s", (i,))
                conn.execute("SELECT v FROM t WHERE id = %s", (i,)).fetchall()
                conn.commit()
            conn.autocommit = True
            pg_flush(conn)
        assert not findings(report(pg.dsn(other), idle_transaction_time={"min_transactions": 20}),
                            "idle_transaction_time")
    finally:
        pg.drop_database(other)


# -- caching -----------------------------------------------------------------------------------------------

def test_cache_candidate_on_a_table_that_rarely_changes(pg_db):
    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE app_settings (name text PRIMARY KEY, value text);
        INSERT INTO app_settings SELECT 'k' || g, 'v' || g FROM generate_series(1, 20) g;
        CREATE TABLE stock (sku text PRIMARY KEY, qty int);
        INSERT INTO stock SELECT 's' || g, 100 FROM generate_series(1, 20) g;
    """)
    pg_forget_seed(pg, name)
    with pg.connect(name) as conn:
        for i in range(3000):
            pg_run(conn, "SELECT value FROM app_settings WHERE name = %s", (f"k{i % 20 + 1}",))
            pg_run(conn, "SELECT qty FROM stock WHERE sku = %s", (f"s{i % 20 + 1}",))
            conn.execute("UPDATE stock SET qty = qty - 1 WHERE sku = %s", (f"s{i % 20 + 1}",))
        pg_flush(conn)
    rep = report(pg.dsn(name), cache_candidate={"warn_share_pct": 100.0})
    hits = findings(rep, "cache_candidate")
    assert [f.object["table"] for f in hits] == ["app_settings"]  # stock changes on every read: near miss
    f = hits[0]
    assert f.severity == "info" and f.evidence["calls"] == 3000 and f.evidence["share_pct"] > 1
    assert f.evidence["table_changes"]["public.app_settings"]["writes"] == 20
    assert not f.evidence["identical_results"]  # a parameter: answers differ per key
    big = findings(report(pg.dsn(name), cache_candidate={"warn_share_pct": 1.0}), "cache_candidate")
    assert big[0].severity == "warning"


@pytest.fixture
def small_buffers_pg():
    """A server with 16 MB of shared buffers, so a 40 MB table cannot stay in them."""
    from dbxray.demo.sandbox import PostgresSandbox, find_postgres_bindir
    from tests.servers import PgServer

    if find_postgres_bindir() is None:
        pytest.skip("needs PostgreSQL server binaries for a throwaway cluster")
    sandbox = PostgresSandbox(settings={"shared_buffers": "'16MB'", "track_io_timing": "on"}, fast=True).start()
    server = PgServer(sandbox.dsn())
    name = server.new_database()
    yield server, name
    sandbox.stop()


def test_cache_hit_ratio_with_the_working_set(small_buffers_pg):
    pg, name = small_buffers_pg
    pg.run(name, """
        CREATE TABLE facts (id bigint PRIMARY KEY, payload text);
        INSERT INTO facts SELECT g, repeat('x', 300) FROM generate_series(1, 100000) g;
        CREATE TABLE small (id int PRIMARY KEY, v int);
        INSERT INTO small SELECT g, g FROM generate_series(1, 100) g;
    """)
    pg.run(name, "SELECT pg_stat_reset()")
    with pg.connect(name) as conn:
        pg_run(conn, "SELECT count(*) FROM facts WHERE payload <> %s", ("y",), times=12)
        pg_flush(conn)
    # every read is served by the OS page cache here (fast reads): info with the working set
    lowered = {"min_blocks": 10000}
    hits = findings(report(pg.dsn(name), cache_hit_ratio=lowered), "cache_hit_ratio")
    assert len(hits) == 1 and hits[0].severity == "info" and hits[0].evidence["hit_pct"] < 99
    assert hits[0].evidence["working_set_relations"][0] == "public.facts"
    # reads counted as slow: the working set (~40 MB) does not fit in 16 MB of shared buffers
    warn = findings(report(pg.dsn(name), cache_hit_ratio={**lowered, "page_cache_ms": 0.0}), "cache_hit_ratio")
    assert warn[0].severity == "warning" and warn[0].evidence["working_set_bytes"] > 16 * 1048576
    assert warn[0].sql.startswith("ALTER SYSTEM SET shared_buffers = '")
    # near miss: a workload that reads only what fits
    pg.run(name, "SELECT pg_stat_reset()")
    with pg.connect(name) as conn:
        pg_run(conn, "SELECT v FROM small WHERE id = %s", (5,), times=3000)
        pg_flush(conn)
    assert not findings(report(pg.dsn(name), cache_hit_ratio={"min_blocks": 1000}), "cache_hit_ratio")


# -- the N+1 loop's parent and its batched forms (helpers for the n_plus_one check) ---------------------------

def test_n_plus_one_parent_and_batched_forms(pg_db):
    from dbxray.engines.postgres.checks.helpers import records
    from dbxray.engines.postgres.parents import n_plus_one_extras
    from dbxray.report import summary as summ

    pg, name = pg_db
    pg.run(name, STATS + """
        CREATE TABLE products (id int PRIMARY KEY, category text, name text, price numeric(10, 2));
        CREATE INDEX products_category ON products (category);
        INSERT INTO products SELECT g, 'cat' || g % 8, 'p' || g, g FROM generate_series(1, 2000) g;
    """)
    pg_forget_seed(pg, name)
    with pg.connect(name) as conn:
        for page in range(60):
            ids = conn.execute("SELECT id FROM products WHERE category = %s ORDER BY id LIMIT 20",
                               (f"cat{page % 8}",)).fetchall()
            for (pid,) in ids:
                conn.execute("SELECT id, name, price FROM products WHERE id = %s", (pid,)).fetchall()
    rows = list(records(summ.statements(collect_snapshot(pg.dsn(name))["statements"])))
    child = next(r for r in rows if r["query"] == "SELECT id, name, price FROM products WHERE id = $1")
    parent = next(r for r in rows if "category = $1" in r["query"])
    extras = n_plus_one_extras(None, rows, child, "products", ["id"])
    assert extras["parent_query_id"] == str(parent["queryid"]) and extras["loop_size"] == 20
    assert extras["batched_query"] == "SELECT id, name, price FROM products WHERE id = ANY($1)"
    assert extras["batched_join"] == (
        "SELECT products.id, products.name, products.price FROM (SELECT id FROM products WHERE category = $1 "
        "ORDER BY id LIMIT $2) AS parent JOIN products ON products.id = parent.id")
    with pg.connect(name) as conn:  # the batched forms run, and return what the loop fetched
        one = conn.execute(extras["batched_query"].replace("$1", "%s"), ([1, 2, 3],)).fetchall()
        assert len(one) == 3
        joined = conn.execute(extras["batched_join"].replace("$1", "%s").replace("$2", "%s"), ("cat1", 20)).fetchall()
        assert len(joined) == 20
    # near miss: the listing itself has no parent
    assert "parent_query_id" not in n_plus_one_extras(None, rows, parent, "products", ["category"])
    # wired into the n_plus_one check: the finding shows the batched statement
    f = findings(report(pg.dsn(name)), "n_plus_one")[0]
    assert f.evidence["batched_query"] == extras["batched_query"] and "Batched:" in f.recommendation

