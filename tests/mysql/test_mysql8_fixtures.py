"""Real MySQL 8 (and MariaDB 10.11) output, recorded as fixtures, through dbxray's public entry points.

No server needed: every file under tests/fixtures/mysql8 and tests/fixtures/mariadb is real server
output whose provenance is in that directory's README.md. The plans go through
``dbxray.plans.parse_plan_text`` (the tree, JSON v1 and JSON v2 formats, with and without ANALYZE
figures), the ``SHOW ENGINE INNODB STATUS`` texts through ``dbxray.engines.mysql.innodb_status.latest_deadlock``,
and the tables' real column headers are checked against the collector SQL that reads them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dbxray.collect import collectors_dir
from dbxray.engines.mysql.innodb_status import latest_deadlock
from dbxray.plans import analyse, parse_plan_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MYSQL8 = FIXTURES / "mysql8"
MARIADB = FIXTURES / "mariadb"


def plan(name: str, statement: str | None = None):
    return parse_plan_text((MYSQL8 / name).read_text(), statement)


def kinds(p) -> list[str]:
    return [n.node_type for n in p.nodes()]


def by_relation(p, relation: str):
    found = [n for n in p.nodes() if n.relation == relation]
    assert len(found) == 1, (relation, [n.label() for n in p.nodes()])
    return found[0]


# ---------------------------------------------------------------------------------------------
# every recorded plan parses, into the right shape

PLANS = {  # file: (source format, node count, relations in walk order, analysed)
    "tree_mtr_distinct_join_limit.txt": ("mysql-tree", 6, ["<temporary>", "t1", "t2"], False),
    "tree_mtr_subquery_in_condition.txt": ("mysql-tree", 5, ["t1", "i"], False),
    "tree_mtr_subquery_in_projection.txt": ("mysql-tree", 4, ["t1", "i"], False),
    "tree_mtr_sort_limit.txt": ("mysql-tree", 3, ["t1"], False),
    "analyze_manual80_hash_join.txt": ("mysql-tree", 4, ["t2", "t1"], True),
    "analyze_manual80_filter_table_scan.txt": ("mysql-tree", 1, ["t3"], True),
    "analyze_manual80_filter_range_scan.txt": ("mysql-tree", 1, ["t3"], True),
    "analyze_manual95_hash_join.txt": ("mysql-tree", 4, ["t2", "t1"], True),
    "analyze_manual95_filter_table_scan.txt": ("mysql-tree", 1, ["t3"], True),
    "json_v1_mtr_hash_join.json": ("mysql-json", 4, ["t1", "t2"], False),
    "json_v1_manual95_range.json": ("mysql-json", 2, ["country"], False),
    "json_v2_manual95_explain.txt": ("mysql-json-v2", 1, ["country"], False),
    "json_v2_manual95_analyze_into.json": ("mysql-json-v2", 1, ["country"], True),
    "json_v2_manual95_analyze.txt": ("mysql-json-v2", 1, ["t3"], True),
    "json_v2_analyze84_join-2t-users-orders.json": ("mysql-json-v2", 4, ["users", "orders"], True),
    "json_v2_analyze84_join-3t-users-orders-items.json":
        ("mysql-json-v2", 6, ["users", "orders", "order_items"], True),
    "json_v2_analyze84_join-5t-full-chain.json":
        ("mysql-json-v2", 10, ["users", "orders", "order_items", "products", "categories"], True),
    "json_v2_analyze84_anti-join-users-no-orders.json": ("mysql-json-v2", 3, ["users", "orders"], True),
    "json_v2_analyze84_complex-join-agg-sort.json":
        ("mysql-json-v2", 10, ["orders", "users", "order_items"], True),
    "json_v2_analyze84_cte-category-hierarchy.json":
        ("mysql-json-v2", 6, ["cat_tree", "categories", "ct", "categories"], True),
}


def test_every_plan_fixture_is_listed():
    on_disk = {p.name for p in MYSQL8.iterdir() if p.name.startswith(("tree_", "analyze_", "json_"))}
    assert on_disk == set(PLANS)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_plan_fixture_parses_into_the_right_tree(name):
    fmt, count, relations, analysed = PLANS[name]
    p = plan(name)
    assert p.engine == "mysql" and p.flavor == "mysql"
    assert p.source_format == fmt
    assert len(p.nodes()) == count, [n.label() for n in p.nodes()]
    assert [n.relation for n in p.nodes() if n.relation] == relations
    assert p.analysed is analysed
    assert analysed == (p.execution_ms is not None)
    # the rules read every real plan without tripping over it
    analyse(p)


# ---------------------------------------------------------------------------------------------
# EXPLAIN FORMAT=TREE as the server's test suite records it

def test_tree_rows_without_cost_are_read():
    """The test suite's recordings print ``(rows=N)`` with no ``cost=``: the estimate must not be lost
    (before the fix it ended up inside the node's text and plan_rows was None)."""
    p = plan("tree_mtr_sort_limit.txt")
    assert kinds(p) == ["Limit", "Sort", "Table Scan"]
    assert [n.plan_rows for n in p.nodes()] == [3.0, 11.0, 11.0]
    assert p.root.raw["limit"] == 3
    assert all("rows=" not in n.detail for n in p.nodes())


def test_tree_filter_folds_into_its_lookup_with_both_estimates():
    p = plan("tree_mtr_distinct_join_limit.txt")
    assert kinds(p) == ["Table Scan", "Temporary table with deduplication", "Nested Loop", "Table Scan",
                        "Limit", "Index Lookup"]
    lookup = by_relation(p, "t2")
    assert lookup.index == "a" and lookup.index_cond == "a = t1.a"
    assert lookup.filter == "(t2.c <= 3)"
    assert lookup.plan_rows == pytest.approx(1.67) and lookup.raw["plan_rows_read"] == 5.0


def test_tree_range_scan_replanned_for_each_iteration_keeps_its_table():
    """``Index range scan on i (re-planned for each iteration)`` has no ``using <index>``: it was read as
    an unknown operation named after its whole text, without a table."""
    p = plan("tree_mtr_subquery_in_condition.txt")
    scan = by_relation(p, "i")
    assert scan.node_type == "Index Range Scan" and scan.index is None
    assert scan.filter == "(i.f1 > t1.f1)"
    select2 = p.nodes()[2]
    assert select2.node_type == "Select #2" and [c.node_type for c in select2.children] == ["Aggregate"]


def test_tree_subquery_of_the_select_list_hangs_under_the_root():
    """MySQL prints the SELECT list's subqueries at the root's own level, after it; this was refused as
    'more than one root'."""
    p = plan("tree_mtr_subquery_in_projection.txt")
    assert p.root.relation == "t1" and p.root.node_type == "Table Scan"
    (sub,) = p.root.children
    assert sub.node_type == "Select #2" and sub.subplan_name == "Subquery"
    assert [n.node_type for n in sub.walk()] == ["Select #2", "Aggregate", "Table Scan"]
    assert sub.children[0].children[0].filter == "(i.f1 > t1.f1)"


# ---------------------------------------------------------------------------------------------
# EXPLAIN ANALYZE: the reference manual's real timings (the test suite masks them as N.NNN)

def test_analyze_hash_join_per_loop_times_and_rows():
    p = plan("analyze_manual80_hash_join.txt")
    assert kinds(p) == ["Hash Join", "Table Scan", "Hash", "Table Scan"]
    root = p.root
    assert (root.actual_startup_ms, root.actual_total_ms, root.actual_rows, root.actual_loops) == \
        (0.032, 0.035, 6.0, 1.0)
    assert root.total_cost == pytest.approx(4.70) and root.plan_rows == 6.0
    t1 = by_relation(p, "t1")
    assert (t1.actual_startup_ms, t1.actual_total_ms, t1.actual_rows) == (0.018, 0.022, 6.0)
    assert p.execution_ms == pytest.approx(0.035)


def test_analyze_9x_number_format():
    """9.x prints four significant digits (``0.0126..0.0221``) and costs without trailing zeros."""
    p = plan("analyze_manual95_hash_join.txt")
    t2 = by_relation(p, "t2")
    assert (t2.actual_startup_ms, t2.actual_total_ms, t2.total_cost) == (0.0126, 0.0221, 0.07)
    assert p.root.actual_rows == 1.0 and p.root.plan_rows == 5.0


def test_analyze_filter_rows_removed():
    p = plan("analyze_manual80_filter_table_scan.txt")
    scan = p.root
    assert scan.node_type == "Table Scan" and scan.filter == "(t3.i > 8)"
    assert scan.actual_rows == 6.0 and scan.rows_removed_by_filter == 9.0  # 15 read, 6 kept
    assert scan.plan_rows == 5.0 and scan.raw["plan_rows_read"] == 15.0
    p = plan("analyze_manual95_filter_table_scan.txt")
    assert p.root.plan_rows == pytest.approx(1.67) and p.root.rows_removed_by_filter == 4.0
    p = plan("analyze_manual80_filter_range_scan.txt")
    assert p.root.node_type == "Index Range Scan" and p.root.index == "PRIMARY"
    assert p.root.rows_removed_by_filter == 0.0


def test_engineering_format_numbers_of_8_0_33():
    """Since 8.0.33 the tree prints numbers below 0.001 as ``661e-6`` and from 1e6 up as ``1e+6``. The
    figures here are real: the anti-join's inner lookup of the 8.4 recording (actual_last_row_ms
    0.000660717, 3000 loops), printed the way the server's NumFormat prints them."""
    v2 = plan("json_v2_analyze84_anti-join-users-no-orders.json")
    inner = by_relation(v2, "orders")
    assert inner.actual_total_ms == pytest.approx(0.000660717) and inner.actual_loops == 3000
    line = ("-> Covering index lookup on orders using idx_user (user_id=users.id)  (cost=0.99 rows=3.94) "
            "(actual time=661e-6..661e-6 rows=1 loops=3000)")
    node = parse_plan_text(line).root
    assert node.relation == "orders" and node.index == "idx_user"
    assert node.actual_total_ms == pytest.approx(661e-6) and node.actual_loops == 3000
    assert parse_plan_text("-> Table scan on t  (cost=100633 rows=996151) "
                           "(actual time=0.075..90.3 rows=1e+6 loops=1)").root.actual_rows == 1e6


# ---------------------------------------------------------------------------------------------
# JSON: version 1 (query_block) and version 2 (8.3+ access paths)

def test_json_v1_costs_and_filtered_rows():
    p = plan("json_v1_mtr_hash_join.json")
    assert kinds(p) == ["Query Block", "Nested Loop", "Table Scan", "Table Scan"]
    assert p.root.total_cost == pytest.approx(1.10)
    t1 = by_relation(p, "t1")
    assert t1.raw["plan_rows_read"] == 3.0 and t1.plan_rows == pytest.approx(3 * 0.3333)
    assert t1.filter == "(`test`.`t1`.`i2` = 2)"
    p = plan("json_v1_manual95_range.json")
    scan = by_relation(p, "country")
    assert scan.node_type == "Index Range Scan" and scan.index == "PRIMARY" and scan.index_cond == "Code"
    assert scan.total_cost == pytest.approx(3.67) and scan.plan_rows == 17.0


def test_json_v2_explain_without_analyze():
    p = plan("json_v2_manual95_explain.txt")
    scan = p.root  # the Filter above the range scan folds into it, as in the tree format
    assert scan.node_type == "Index Range Scan" and (scan.schema, scan.relation, scan.index) == \
        ("world", "country", "PRIMARY")
    assert scan.filter == "(country.`Code` like 'A%')"
    assert scan.plan_rows == 17.0 and scan.total_cost == pytest.approx(3.668778400708174)
    assert not p.analysed and p.execution_ms is None


def test_json_v2_analyze_in_and_out_of_query_plan():
    """``EXPLAIN ANALYZE FORMAT=JSON INTO @v`` (under ``query_plan``) and the bare ``EXPLAIN ANALYZE
    FORMAT=JSON`` (the root node at the top) read the same way."""
    into = plan("json_v2_manual95_analyze_into.json")
    assert into.root.relation == "country"
    assert (into.root.actual_rows, into.root.actual_loops) == (17.0, 1.0)
    # the folded Filter gives its last-row time (0.020957); the first row is the scan's (0.015971)
    assert (into.root.actual_startup_ms, into.root.actual_total_ms) == (0.015971, 0.020957)
    assert into.execution_ms == pytest.approx(0.020957)
    bare = plan("json_v2_manual95_analyze.txt")
    assert (bare.root.schema, bare.root.relation, bare.root.index) == ("a", "t3", "PRIMARY")
    assert bare.root.index_cond == "pk < 17"  # from "... over (pk < 17)", as the tree format reads it
    assert bare.root.actual_rows == 3.0 and bare.root.actual_total_ms == pytest.approx(0.038189)


def test_json_v2_nested_loop_join_loops_and_aliases():
    p = plan("json_v2_analyze84_join-2t-users-orders.json")
    assert kinds(p) == ["Limit", "Nested Loop", "Index Lookup", "Index Lookup"]
    users, orders = by_relation(p, "users"), by_relation(p, "orders")
    assert (users.alias, users.index, users.actual_rows, users.actual_loops) == ("u", "idx_country", 25.0, 1.0)
    assert (orders.alias, orders.index, orders.actual_rows, orders.actual_loops) == ("o", "idx_user", 4.0, 25.0)
    assert orders.index_cond == "user_id=u.id" and orders.schema == "testdb"
    assert orders.rows_total == 100.0
    assert p.root.raw["limit"] == 100 and p.execution_ms == pytest.approx(0.191376)
    p3 = plan("json_v2_analyze84_join-3t-users-orders-items.json")
    assert by_relation(p3, "order_items").actual_loops == 21.0
    assert by_relation(p3, "orders").node_type == "Covering Index Lookup"


def test_json_v2_never_executed_and_filter_that_discards_everything():
    p = plan("json_v2_analyze84_join-5t-full-chain.json")
    never = [n.relation for n in p.nodes() if n.never_executed]
    assert never == ["order_items", "products", "categories"]
    orders = by_relation(p, "orders")
    assert orders.filter == "(o.`status` = 'delivered')" and orders.actual_loops == 600.0
    assert orders.actual_rows == 0.0 and orders.rows_removed_by_filter == 4.0
    findings = analyse(p)
    assert [f.check for f in findings] == ["filter_inefficiency"]
    assert findings[0].object["table"] == "orders"


def test_json_v2_antijoin_estimate_error_is_found():
    p = plan("json_v2_analyze84_anti-join-users-no-orders.json")
    assert p.root.node_type == "Nested loop antijoin" and p.root.raw["join_type"] == "antijoin"
    assert p.root.plan_rows == pytest.approx(11834, rel=1e-3) and p.root.actual_rows == 0.0
    assert [f.check for f in analyse(p)] == ["row_estimate_error"]


def test_json_v2_aggregate_sort_and_recursive_cte():
    p = plan("json_v2_analyze84_complex-join-agg-sort.json")
    assert kinds(p)[:4] == ["Sort", "Stream results", "Aggregate", "Sort"]
    assert p.execution_ms == pytest.approx(13.032999)
    assert by_relation(p, "users").node_type == "Index Lookup"  # Single-row index lookup
    cte = plan("json_v2_analyze84_cte-category-hierarchy.json")
    repeat = [n for n in cte.nodes() if n.subplan_name == "Repeat until convergence"]
    assert len(repeat) == 1 and repeat[0].node_type == "Nested Loop" and repeat[0].actual_loops == 2.0


def test_tree_and_json_v2_agree_on_the_same_query():
    """The manual shows ``SELECT Name FROM country WHERE Code LIKE 'A%'`` as JSON v1 and v2 (9.5):
    same table, index and row estimate whatever the format."""
    v1 = by_relation(plan("json_v1_manual95_range.json"), "country")
    v2 = plan("json_v2_manual95_explain.txt").root
    assert (v1.node_type, v1.index, v1.plan_rows) == (v2.node_type, v2.index, v2.plan_rows)


# ---------------------------------------------------------------------------------------------
# SHOW ENGINE INNODB STATUS: the latest detected deadlock

def test_deadlock_mysql80_reference_manual():
    d = latest_deadlock((MYSQL8 / "innodb_status_deadlock_manual80.txt").read_text())
    assert d is not None and d.flavor == "mysql"
    assert (d.detected_at, d.thread) == ("2022-11-25 15:58:22", "139815661168384")
    t1, t2 = d.transactions
    assert (t1.number, t1.trx_id, t1.thread_id, t1.active_seconds, t1.state) == \
        (1, "43260", 19, 186, "starting index read")
    assert t1.query == "UPDATE Animals SET value=30 WHERE name='Aardvark'"
    assert (t1.lock_structs, t1.row_locks, t1.tables_in_use, t1.tables_locked) == (4, 2, 1, 1)
    (held,) = t1.holds
    assert (held.qualified_table, held.index, held.mode, held.record, held.waiting) == \
        ("`test`.`Birds`", "PRIMARY", "S,REC_NOT_GAP", "Buzzard", False)
    assert held.mode_text == "lock mode S locks rec but not gap" and held.source == "holds the lock(s)"
    w = t1.waits_for
    assert (w.qualified_table, w.index, w.mode, w.record, w.waiting, w.trx_id) == \
        ("`test`.`Animals`", "PRIMARY", "X,REC_NOT_GAP", "Aardvark", True, "43260")
    assert (t2.trx_id, t2.thread_id, t2.query) == ("43261", 18, "UPDATE Birds SET value=40 WHERE name='Buzzard'")
    assert t2.holds[0].record == "Aardvark" and t2.waits_for.record == "Buzzard"
    assert d.rolled_back == 2 and d.victim is t2 and not d.notes
    assert [f.hex for f in w.fields] == ["416172647661726b", "00000000a8f9", "82000000e20110", "8000000a"]
    assert w.fields[3].value() == 10  # the row's value column: 0x8000000a is INT 10


def test_status_without_deadlock_gives_none():
    text = (MYSQL8 / "innodb_status_monitor_manual80.txt").read_text()
    assert "TRANSACTIONS" in text and latest_deadlock(text) is None
    assert latest_deadlock("") is None


def test_deadlock_mariadb_1011_provoked():
    """Recorded on a throwaway MariaDB 10.11: session A (thread 6) updated id 1 then id 2, session B
    (thread 7) id 2 then id 1; B's second statement was refused with error 1213."""
    d = latest_deadlock((MARIADB / "innodb_status_deadlock.txt").read_text())
    assert d is not None and d.flavor == "mariadb"
    assert d.detected_at is not None and d.thread and d.thread.startswith("0x")
    t1, t2 = d.transactions
    assert (t1.trx_id, t1.thread_id, t1.query) == ("24", 7, "UPDATE accounts SET balance = balance + 20 WHERE id = 1")
    assert (t2.trx_id, t2.thread_id, t2.query) == ("23", 6, "UPDATE accounts SET balance = balance + 10 WHERE id = 2")
    assert t1.undo_log_entries == 1
    # MariaDB prints no held-locks list: what each holds is the other's CONFLICTING WITH lock
    assert [x.record for x in t1.holds] == ["2"] and t1.holds[0].source == "conflicting with"
    assert [x.record for x in t2.holds] == ["1"]
    assert (t1.waits_for.record, t1.waits_for.mode, t1.waits_for.qualified_table) == \
        ("1", "X,REC_NOT_GAP", "`shop`.`accounts`")
    assert t1.conflicting_with[0].trx_id == "23" and not t1.conflicting_with[0].waiting
    assert d.rolled_back == 1 and d.victim is t1


def test_deadlock_mariadb_1073_victim_numbered_from_zero():
    """MariaDB 10.7.3 (MDEV-29187) printed ``WE ROLL BACK TRANSACTION (0)``: no transaction has that
    number, so there is no victim and the report says why instead of naming the wrong one."""
    d = latest_deadlock((MARIADB / "innodb_status_deadlock_replbug_10.7.3.txt").read_text())
    assert d is not None and d.flavor == "mariadb" and d.rolled_back == 0
    assert d.victim is None and "MDEV-29187" in d.notes[0]
    t1, t2 = d.transactions
    assert (t1.trx_id, t1.query, t2.trx_id, t2.query) == \
        ("25", "update t1 set f1 = 5 where id = 1", "24", "update t1 set f1 = 3 where id = 2")
    assert [x.record for x in t1.holds] == ["2"] and t1.waits_for.record == "1"


# ---------------------------------------------------------------------------------------------
# the collectors' column names against the tables' real headers

def header(path: Path) -> set[str]:
    return set(path.read_text().splitlines()[0].split("\t"))


def collector_sql(name: str) -> str:
    text = (collectors_dir("mysql") / name).read_text()
    return "\n".join(line.split("--")[0] for line in text.splitlines())


def qualified_columns(sql: str, alias: str) -> set[str]:
    return set(re.findall(rf"\b{alias}\.([A-Za-z_][A-Za-z0-9_]*)", sql))


SQL_WORDS = {"SELECT", "AS", "FROM", "WHERE", "IS", "NOT", "NULL", "AND", "OR", "IN", "ORDER", "BY", "DESC",
             "LIMIT", "LIKE", "LOCATE", "CONCAT", "REPLACE"}


def bare_columns(sql: str) -> set[str]:
    """Upper-case identifiers of a single-table SELECT (the digest collectors): its columns."""
    body = re.sub(r"'[^']*'", "", sql)
    return {w for w in re.findall(r"\b([A-Z][A-Z0-9_]*)\b", body) if w not in SQL_WORDS}


@pytest.mark.parametrize("collector", ["statements_mysql80.sql", "statements_mysql80028.sql",
                                       "statements_mysql.sql"])
def test_mysql_statement_collectors_read_real_digest_columns(collector):
    cols = bare_columns(collector_sql(collector))
    missing = cols - header(MYSQL8 / "ps_events_statements_summary_by_digest_columns.tsv")
    assert cols and not missing, missing


def test_mariadb_statement_collector_reads_columns_mariadb_has():
    cols = bare_columns(collector_sql("statements_mariadb.sql"))
    real = header(MARIADB / "sysbench_digests.tsv")
    assert cols and not cols - real, cols - real
    # the 8.0-only columns really are absent from MariaDB 10.11, which is why the variants exist
    assert {"QUANTILE_95", "SUM_CPU_TIME", "QUERY_SAMPLE_TEXT"}.isdisjoint(real)


def test_lock_waits_mysql80_reads_real_columns():
    sql = collector_sql("lock_waits_mysql80.sql")
    waits, locks = header(MYSQL8 / "ps_data_lock_waits_manual80.tsv"), header(MYSQL8 / "ps_data_locks_manual80.tsv")
    trx = header(MYSQL8 / "is_innodb_trx_manual80.tsv")
    assert qualified_columns(sql, "w") and not qualified_columns(sql, "w") - waits
    for alias in ("rl", "bl"):
        assert qualified_columns(sql, alias) and not qualified_columns(sql, alias) - locks, alias
    for alias in ("rt", "bt"):
        assert qualified_columns(sql, alias) and not qualified_columns(sql, alias) - trx, alias


def test_lock_waits_mariadb_reads_real_columns():
    sql = collector_sql("lock_waits.sql")
    assert not qualified_columns(sql, "w") - header(MARIADB / "innodb_lock_waits.tsv")
    locks = header(MARIADB / "innodb_locks.tsv")
    for alias in ("rl", "bl"):
        assert qualified_columns(sql, alias) and not qualified_columns(sql, alias) - locks
    for alias in ("rt", "bt"):
        assert not qualified_columns(sql, alias) - header(MARIADB / "innodb_trx_lock_wait.tsv")


def test_transactions_collector_reads_real_innodb_trx_columns():
    sql = collector_sql("transactions.sql")
    cols = qualified_columns(sql, "t")
    assert cols and not cols - header(MYSQL8 / "is_innodb_trx_manual80.tsv")
    assert not cols - header(MARIADB / "innodb_trx_lock_wait.tsv")


def test_mysql80_index_collectors_read_real_columns():
    sql = collector_sql("index_usage_mysql80.sql")
    cols = bare_columns(sql) - {"OVER", "PARTITION", "SUM", "TABLE", "U"}
    assert cols and not cols - header(MYSQL8 / "ps_table_io_waits_summary_by_index_usage_columns.tsv")
    sql = collector_sql("indexes_mysql80.sql")
    cols = qualified_columns(sql, "s")
    assert {"IS_VISIBLE", "EXPRESSION"} <= cols
    assert not cols - header(MYSQL8 / "is_statistics_columns_manual80.tsv")


def test_real_digests_are_sha256_on_mysql8_and_md5_on_mariadb():
    (mysql_digest,) = (MYSQL8 / "ps_events_statements_current_digest_proxysql2072.tsv").read_text().split()[1:]
    assert re.fullmatch(r"[0-9a-f]{64}", mysql_digest)
    rows = [line.split("\t") for line in (MARIADB / "sysbench_digests.tsv").read_text().splitlines()]
    digest_col = rows[0].index("DIGEST")
    assert all(re.fullmatch(r"[0-9a-f]{32}", r[digest_col]) for r in rows[1:])


def test_lock_deadlocks_metric_rows():
    rows = [r.split("\t") for r in (MYSQL8 / "is_innodb_metrics_lock_counters_manual80.tsv").read_text().splitlines()]
    status = {name: st for name, _, st in rows[1:]}
    assert status["lock_deadlocks"] == "enabled" and status["lock_timeouts"] == "enabled"
    assert (MYSQL8 / "is_innodb_metrics_lock_deadlocks_count_manual80.tsv").read_text().split() == ["count", "1"]
    maria = [r.split("\t") for r in (MARIADB / "innodb_metrics_lock_deadlocks.tsv").read_text().splitlines()]
    row = dict(zip(maria[0], maria[1]))
    assert row["NAME"] == "lock_deadlocks" and row["COUNT"] == "1"
    mysql_row = header(MYSQL8 / "is_innodb_metrics_row_manual80.tsv")
    # MySQL 8 names the on/off column STATUS; MariaDB 10.11 has ENABLED instead
    assert "STATUS" in mysql_row and "ENABLED" in maria[0] and "STATUS" not in maria[0]


# ---------------------------------------------------------------------------------------------
# a real digest table through the collector's SELECT list and the checks

def collector_frame(collector: str, tsv: Path):
    """The frame the collector would return from these rows: its SELECT list (``COL AS alias``,
    ``COL / 1e9 AS alias``, ``'literal' AS alias``) applied to the real table's rows."""
    import pandas as pd

    sql = collector_sql(collector)
    select = sql[sql.index("SELECT") + len("SELECT"):sql.index("\nFROM ")]
    raw = pd.read_csv(tsv, sep="\t", keep_default_na=False, na_values=["NULL"], dtype={"DIGEST": str})
    out = {}
    for item in (x.strip() for x in select.split(",\n") if x.strip()):
        m = re.fullmatch(r"(.+?)\s+AS\s+`?(\w+)`?", item, re.DOTALL)
        assert m, item
        expr, alias = m.group(1).strip(), m.group(2)
        if expr.startswith("'"):
            out[alias] = expr.strip("'")
        elif expr.endswith("/ 1e9"):
            out[alias] = raw[expr[:-len("/ 1e9")].strip()] / 1e9
        else:
            out[alias] = raw[expr]
    return pd.DataFrame(out)


def test_sysbench_digests_through_the_statement_checks():
    """MariaDB 10.11's real digests of a sysbench read-only run: every statement is indexed and fast,
    so the report ranks them and raises nothing (a healthy workload must not produce findings)."""
    import datetime as dt

    from dbxray.pipeline import analyze_snapshot
    from dbxray.snapshot import CollectorRun, Snapshot

    frame = collector_frame("statements_mariadb.sql", MARIADB / "sysbench_digests.tsv")
    assert len(frame) == 24 and frame["queryid"].str.fullmatch(r"[0-9a-f]{32}").all()
    snap = Snapshot(engine="mysql", server_version="10.11.19-MariaDB-0+deb12u1", version_num=101119,
                    database="sbtest", host="127.0.0.1", collected_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
                    frames={"statements": frame}, meta={"flavor": "mariadb"},
                    collectors=[CollectorRun("statements", "ok", rows=len(frame), source="statements_mariadb.sql")])
    report = analyze_snapshot(snap)
    assert report.findings == []
    top = report.to_dict()["summary"]["statements"][0]
    assert top["query"] == "SELECT ID , `k` , `c` , `pad` FROM `sbtest1` WHERE `k` IN (...)"
    assert top["calls"] == 50392
