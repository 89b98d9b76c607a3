"""Each plan finding on plans the real server produced: the planted problem is found (hit), the
healthy variant gives no such finding (near-miss), and where the finding carries fix SQL, running
that SQL makes the finding go away."""

from __future__ import annotations

import re

from tests.postgres.plans.conftest import explain_on

SMALL_WORK_MEM = ("SET work_mem = '64kB'", "SET max_parallel_workers_per_gather = 0")


def _set_work_mem(sql: str) -> str:
    assert re.fullmatch(r"SET work_mem = '\d+[MG]B';", sql), sql
    return sql.rstrip(";")


def _object_ok(finding) -> None:
    assert finding.source == "rules"
    assert isinstance(finding.object["node_id"], int) and finding.object["node_type"]


# -- the healthy baseline ---------------------------------------------------------------------

def test_healthy_index_scan_has_no_finding(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM orders WHERE id = 42")
    assert result.plan.root.node_type == "Index Scan"
    assert result.findings == []


# -- missing_index ------------------------------------------------------------------------------

def test_missing_index_on_equality_filter(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM orders WHERE customer_id = 42", settings=SMALL_WORK_MEM[1:])
    [f] = result.by_check("missing_index")
    _object_ok(f)
    assert f.object["table"] == "orders" and f.object["columns"] == ["customer_id"]
    assert f.evidence["proven"] is False and f.evidence["rows_read"] == 200000 and f.evidence["rows_kept"] == 10
    assert f.sql == "CREATE INDEX CONCURRENTLY ON public.orders (customer_id);"
    assert "filter_inefficiency" not in result.checks()  # one finding per problem


def test_missing_index_puts_equality_before_range(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM orders WHERE total > 199000 AND status = 'paid'",
                        settings=SMALL_WORK_MEM[1:])
    [f] = result.by_check("missing_index")
    assert f.object["columns"] == ["status", "total"]


def test_missing_index_from_a_plain_explain_uses_table_size(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM orders WHERE customer_id = 42", analyze=False,
                        settings=SMALL_WORK_MEM[1:])
    [f] = result.by_check("missing_index")
    assert f.evidence["rows_from"] == "estimated" and f.evidence["rows_read"] == 200000


def test_missing_index_sql_is_quoted_runs_and_fixes_the_scan(pg_db):
    server, db = pg_db
    server.run(db, """CREATE TABLE "Order Items" ("Customer Id" int, qty int);
        INSERT INTO "Order Items" SELECT i % 5000, i FROM generate_series(1, 100000) i;""")
    server.run(db, 'ANALYZE "Order Items"')
    sql = 'SELECT * FROM "Order Items" WHERE "Customer Id" = 7'
    [f] = explain_on(server, db, sql, settings=SMALL_WORK_MEM[1:]).by_check("missing_index")
    assert f.sql == 'CREATE INDEX CONCURRENTLY ON public."Order Items" ("Customer Id");'
    server.run(db, f.sql)
    after = explain_on(server, db, sql, settings=SMALL_WORK_MEM[1:])
    assert not after.by_check("missing_index")
    assert any("Index" in n.node_type for n in after.plan.nodes())


def test_no_missing_index_for_a_leading_wildcard_like(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM orders WHERE note LIKE '%zz'", settings=SMALL_WORK_MEM[1:])
    assert not result.by_check("missing_index")
    [f] = result.by_check("filter_inefficiency")  # still a waste, but no B-tree serves it
    assert f.sql is None and f.evidence["removed_pct"] == 100.0


def test_no_missing_index_on_a_tiny_table(shop):
    server, db = shop
    assert not explain_on(server, db, "SELECT * FROM small WHERE kind = 3").by_check("missing_index")


def test_no_missing_index_when_the_filter_keeps_most_rows(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM orders WHERE status = 'new'", settings=SMALL_WORK_MEM[1:])
    assert not result.by_check("missing_index") and not result.by_check("filter_inefficiency")


# -- filter_inefficiency --------------------------------------------------------------------------

def test_filter_inefficiency_on_an_index_that_finds_too_much(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM events WHERE kind = 5 AND id < 1000",
                        settings=("SET enable_seqscan = off", *SMALL_WORK_MEM[1:]))
    [f] = result.by_check("filter_inefficiency")
    _object_ok(f)
    assert f.severity == "warning" and f.evidence["removed_pct"] > 99
    assert f.sql == "CREATE INDEX CONCURRENTLY ON public.events (kind, id);"


def test_no_filter_inefficiency_when_the_index_matches(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM events WHERE kind = 5",
                        settings=("SET enable_seqscan = off", *SMALL_WORK_MEM[1:]))
    assert not result.by_check("filter_inefficiency")


# -- memory: sorts, hashes, bitmaps ------------------------------------------------------------------

def test_disk_sort_and_its_work_mem_fix(shop):
    server, db = shop
    sql = "SELECT * FROM orders ORDER BY total DESC"
    [f] = explain_on(server, db, sql, settings=SMALL_WORK_MEM).by_check("disk_sort")
    _object_ok(f)
    assert f.object["node_type"] == "Sort" and f.evidence["disk_kb"] > 1000 and f.evidence["work_mem_kb"] == 64
    assert "work_mem too small" in f.recommendation
    fixed = explain_on(server, db, sql, settings=(_set_work_mem(f.sql), SMALL_WORK_MEM[1]))
    assert not fixed.by_check("disk_sort")
    assert fixed.plan.root.raw["Sort Space Type"] == "Memory"


def test_no_disk_sort_in_memory(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM orders WHERE id < 1000 ORDER BY total",
                        settings=SMALL_WORK_MEM[1:])
    assert result.plan.root.node_type == "Sort" and not result.by_check("disk_sort")


def test_hash_join_spill_and_its_fix(shop):
    server, db = shop
    sql = "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id"
    [f] = explain_on(server, db, sql, settings=SMALL_WORK_MEM).by_check("hash_spill")
    _object_ok(f)
    assert f.object["node_type"] == "Hash" and f.evidence["batches"] > 1
    fixed = explain_on(server, db, sql, settings=(_set_work_mem(f.sql), SMALL_WORK_MEM[1]))
    assert not fixed.by_check("hash_spill")
    assert any(n.node_type == "Hash" and n.raw["Hash Batches"] == 1 for n in fixed.plan.nodes())


def test_hash_aggregate_spill(shop):
    server, db = shop
    sql = "SELECT customer_id, count(*) FROM orders GROUP BY customer_id"
    result = explain_on(server, db, sql, settings=(*SMALL_WORK_MEM, "SET enable_sort = off"))
    [f] = result.by_check("hash_spill")
    assert f.object["node_type"] == "Aggregate"
    fixed = explain_on(server, db, sql, settings=(_set_work_mem(f.sql), SMALL_WORK_MEM[1], "SET enable_sort = off"))
    assert not fixed.by_check("hash_spill")


def test_lossy_bitmap_and_its_fix(shop):
    server, db = shop
    sql = "SELECT count(*) FROM events WHERE kind < 50"
    forced = ("SET enable_seqscan = off", "SET enable_indexscan = off", "SET enable_indexonlyscan = off")
    [f] = explain_on(server, db, sql, settings=(*SMALL_WORK_MEM, *forced)).by_check("lossy_bitmap")
    _object_ok(f)
    assert f.evidence["lossy_heap_blocks"] > 0 and f.object["table"] == "events"
    fixed = explain_on(server, db, sql, settings=(_set_work_mem(f.sql), SMALL_WORK_MEM[1], *forced))
    assert not fixed.by_check("lossy_bitmap")


# -- heap fetches -------------------------------------------------------------------------------------

def test_heap_fetches_until_vacuum(pg_db):
    server, db = pg_db
    server.run(db, """CREATE TABLE visits (id int, customer_id int) WITH (autovacuum_enabled = off);
        INSERT INTO visits SELECT i, i % 1000 FROM generate_series(1, 50000) i;
        CREATE INDEX visits_customer ON visits (customer_id);""")
    # the sandbox runs with synchronous_commit = off: VACUUM may only mark pages all-visible once the
    # inserting transaction's commit is flushed, which a synchronous commit forces
    server.run(db, "SET synchronous_commit = on; ANALYZE visits")
    sql = "SELECT customer_id FROM visits WHERE customer_id < 100"
    forced = ("SET enable_seqscan = off", "SET enable_bitmapscan = off")
    result = explain_on(server, db, sql, settings=forced)
    [f] = result.by_check("heap_fetches")
    _object_ok(f)
    assert f.object["node_type"] == "Index Only Scan" and f.severity == "warning"
    assert f.sql == "VACUUM (ANALYZE) public.visits;"
    server.run(db, f.sql)
    after = explain_on(server, db, sql, settings=forced)
    assert after.plan.root.node_type == "Index Only Scan" and not after.by_check("heap_fetches")


# -- row estimates -------------------------------------------------------------------------------------

STALE = """
CREATE TABLE tickets (id int PRIMARY KEY, state int, owner int) WITH (autovacuum_enabled = off);
INSERT INTO tickets SELECT i, 1, i % 100 FROM generate_series(1, 1000) i;
CREATE TABLE owners (id int PRIMARY KEY, name text);
INSERT INTO owners SELECT i, 'o' || i FROM generate_series(0, 99) i;
"""


def _stale_tickets(server, db) -> None:
    server.run(db, STALE)
    server.run(db, "ANALYZE tickets; ANALYZE owners")
    server.run(db, "INSERT INTO tickets SELECT i, 2, i % 100 FROM generate_series(1001, 61000) i")


def test_row_estimate_error_names_stale_statistics_and_analyze_fixes_it(pg_db):
    server, db = pg_db
    _stale_tickets(server, db)
    sql = "SELECT * FROM tickets WHERE state = 2"
    [f] = explain_on(server, db, sql).by_check("row_estimate_error")
    _object_ok(f)
    assert f.severity == "critical" and f.object["table"] == "tickets"
    assert f.evidence["cause"] == "stale statistics" and f.evidence["n_mod_since_analyze"] >= 60000
    assert f.sql == "ANALYZE public.tickets;"
    server.run(db, f.sql)
    assert not explain_on(server, db, sql).by_check("row_estimate_error")


def test_row_estimate_error_names_correlated_columns_and_statistics_fix_it(pg_db):
    server, db = pg_db
    server.run(db, """CREATE TABLE addresses (id int, city text, zip text);
        INSERT INTO addresses SELECT i, 'city' || (i % 200), 'zip' || (i % 200) FROM generate_series(1, 30000) i;""")
    server.run(db, "ANALYZE addresses")
    sql = "SELECT * FROM addresses WHERE city = 'city1' AND zip = 'zip1'"
    [f] = explain_on(server, db, sql).by_check("row_estimate_error")
    # 30,000 rows: ANALYZE reads them all, so the estimate is exact arithmetic: 30000/200/200 -> 1, got 150
    assert f.severity == "warning" and f.evidence["factor"] >= 100 and f.evidence["direction"] == "underestimate"
    assert f.evidence["cause"] == "correlated columns" and f.object["columns"] == ["city", "zip"]
    assert f.sql.startswith("CREATE STATISTICS public.addresses_city_zip_stats (dependencies) ON city, zip FROM "
                            "public.addresses;")
    server.run(db, f.sql)
    assert not explain_on(server, db, sql).by_check("row_estimate_error")


def test_no_row_estimate_error_on_one_column(pg_db):
    server, db = pg_db
    server.run(db, """CREATE TABLE addresses (id int, city text, zip text);
        INSERT INTO addresses SELECT i, 'city' || (i % 200), 'zip' || (i % 200) FROM generate_series(1, 30000) i;""")
    server.run(db, "ANALYZE addresses")
    assert not explain_on(server, db, "SELECT * FROM addresses WHERE city = 'city1'").by_check("row_estimate_error")


# -- nested loops ------------------------------------------------------------------------------------------

def test_nested_loop_explosion_from_a_stale_estimate(pg_db):
    server, db = pg_db
    _stale_tickets(server, db)
    sql = "SELECT t.id, o.name FROM tickets t JOIN owners o ON o.id = t.owner WHERE t.state = 2"
    result = explain_on(server, db, sql, settings=("SET enable_hashjoin = off", "SET enable_mergejoin = off"))
    [f] = result.by_check("nested_loop_explosion")
    _object_ok(f)
    assert f.object["node_type"] == "Nested Loop" and f.evidence["inner_loops"] >= 60000
    assert f.evidence["cause"] == "row estimate" and f.severity in ("warning", "critical")
    assert {"row_estimate_error"} <= result.checks()


def test_no_nested_loop_explosion_for_a_few_lookups(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id < 50")
    assert any(n.node_type == "Nested Loop" for n in result.plan.nodes())
    assert result.findings == []


# -- statement level ---------------------------------------------------------------------------------------

def test_high_planning_time(pg_db):
    server, db = pg_db
    # 11 tables planned exhaustively: several times the warning band on any machine (10 sat at its edge)
    server.run(db, "".join(f"CREATE TABLE j{i} (id int PRIMARY KEY, ref int);" for i in range(1, 12)))
    sql = "SELECT count(*) FROM j1 " + " ".join(f"JOIN j{i} ON j{i}.id = j1.id" for i in range(2, 12))
    exhaustive = ("SET geqo = off", "SET join_collapse_limit = 20", "SET from_collapse_limit = 20")
    result = explain_on(server, db, sql, settings=exhaustive)
    [f] = result.by_check("high_planning_time")
    assert f.severity == "warning" and f.evidence["planning_ms"] >= 100
    assert f.object["node_id"] == 1
    near = explain_on(server, db, "SELECT count(*) FROM j1 JOIN j2 ON j2.id = j1.id")
    assert not near.by_check("high_planning_time")


def test_jit_cost_and_its_fix(shop):
    server, db = shop
    sql = "SELECT sum(total), avg(customer_id) FROM orders"
    jit = ("SET jit = on", "SET jit_above_cost = 0", "SET jit_optimize_above_cost = 0", "SET jit_inline_above_cost = 0")
    result = explain_on(server, db, sql, settings=jit)
    [f] = result.by_check("setting")
    assert f.object["setting"] == "jit" and f.object["node_id"] == 1 and f.evidence["jit_ms"] >= 10
    fixed = explain_on(server, db, sql, settings=(*jit, f.sql.rstrip(";")))
    assert not fixed.plan.jit and not fixed.by_check("setting")


def test_large_offset_measured_and_planned(shop):
    server, db = shop
    sql = "SELECT * FROM orders ORDER BY id LIMIT 10 OFFSET 50000"
    [f] = explain_on(server, db, sql).by_check("large_offset")
    assert f.object["node_type"] == "Limit" and f.evidence["rows_discarded"] == 50000
    [g] = explain_on(server, db, sql, analyze=False).by_check("large_offset")
    assert g.evidence["offset_from"] == "statement"
    assert not explain_on(server, db, "SELECT * FROM orders ORDER BY id LIMIT 10 OFFSET 20").findings


def test_no_nested_loop_explosion_when_memoize_serves_the_lookups(shop):
    server, db = shop
    sql = "SELECT * FROM orders o JOIN small s ON s.id = o.customer_id % 10 + 1 WHERE o.id < 20000"
    result = explain_on(server, db, sql, settings=("SET enable_hashjoin = off", "SET enable_mergejoin = off",
                                                   "SET max_parallel_workers_per_gather = 0"))
    memoize = next(n for n in result.plan.nodes() if n.node_type == "Memoize")
    assert memoize.actual_loops >= 19999 and memoize.children[0].actual_loops <= 10  # 10 misses, the rest hits
    assert not result.by_check("nested_loop_explosion")


def test_slow_foreign_key_trigger_names_the_missing_index(pg_db):
    server, db = pg_db
    server.run(db, """CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent SELECT generate_series(1, 1000);
        CREATE TABLE "Child Rows" (id int, "Parent Id" int REFERENCES parent ON DELETE CASCADE);
        INSERT INTO "Child Rows" SELECT i, i % 1000 + 1 FROM generate_series(1, 100000) i;""")
    server.run(db, 'ANALYZE parent; ANALYZE "Child Rows"')
    sql = "DELETE FROM parent WHERE id <= 20"
    result = explain_on(server, db, sql)
    [f] = result.by_check("missing_fk_index")
    assert f.object["node_id"] == 1 and f.object["node_type"] == "ModifyTable"
    assert f.object["table"] == "Child Rows" and f.object["columns"] == ["Parent Id"]
    assert f.evidence["calls"] == 20 and f.evidence["trigger_pct"] >= 50
    assert f.sql == 'CREATE INDEX CONCURRENTLY ON public."Child Rows" ("Parent Id");'
    server.run(db, f.sql)
    after = explain_on(server, db, sql)
    assert not after.by_check("missing_fk_index")
    with server.connect(db) as conn:  # --analyze of the DELETE was rolled back both times
        assert conn.execute('SELECT count(*) FROM "Child Rows"').fetchone()[0] == 100000
