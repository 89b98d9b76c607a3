# ruff: noqa: E501
# (saved plans keep their real, long lines)
"""The parsers: PostgreSQL text and JSON of the same real plan give the same tree; MySQL 8 samples
(written by hand from the MySQL 8.0 reference manual's EXPLAIN / EXPLAIN ANALYZE pages, since no
MySQL 8 server can run here) parse into the same tree shape the rules read."""

from __future__ import annotations

import json

import pytest

from dbxray.engines.mysql.plans.parse import parse_mysql_json, parse_mysql_tree
from dbxray.engines.postgres.plans.parse import parse_pg_json, parse_pg_text
from dbxray.errors import BadInput
from dbxray.plans.load import parse_plan_text
from dbxray.plans.report import analyse

COMPLEX = """WITH c AS MATERIALIZED (SELECT id, total FROM orders WHERE total % 3 = 0)
SELECT o.status, count(*), (SELECT max(id) FROM customers) FROM orders o JOIN customers cu ON cu.id = o.customer_id
LEFT JOIN c ON c.id = o.id WHERE o.total > 1000 AND EXISTS (SELECT 1 FROM c c2 WHERE c2.id = o.id + 1)
GROUP BY o.status ORDER BY 2 DESC"""


def _signature(plan):
    return [(n.node_type, n.relation, n.schema, n.alias, n.index, n.plan_rows, n.actual_loops, n.subplan_name,
             n.filter, n.workers_launched, n.raw.get("Hash Batches"), n.raw.get("Sort Space Type"),
             n.raw.get("Join Type"), n.raw.get("Heap Fetches"), n.depth) for n in plan.nodes()]


@pytest.mark.parametrize("options", ["ANALYZE, BUFFERS, VERBOSE, SETTINGS", "VERBOSE", "ANALYZE, BUFFERS",
                                     "ANALYZE, TIMING OFF"])
def test_pg_text_and_json_give_the_same_tree(shop, options):
    server, db = shop
    with server.connect(db) as conn:
        conn.execute("SET work_mem = '64kB'")
        conn.execute("SET parallel_setup_cost = 0")
        data = conn.execute(f"EXPLAIN ({options}, FORMAT JSON) {COMPLEX}").fetchone()[0]
        text = "\n".join(r[0] for r in conn.execute(f"EXPLAIN ({options}) {COMPLEX}").fetchall())
    from_json, from_text = parse_pg_json(data), parse_pg_text(text)
    for plan in (from_json, from_text):
        analyse(plan)
    assert len(from_json.nodes()) >= 15
    assert _signature(from_json) == _signature(from_text)
    assert (from_json.planning_ms is None) == (from_text.planning_ms is None)
    if "SETTINGS" in options:
        assert from_json.settings == from_text.settings == {"work_mem": "64kB", "parallel_setup_cost": "0"}


def test_pg_text_in_a_psql_frame(shop):
    framed = """                         QUERY PLAN
-------------------------------------------------------------
 Limit  (cost=0.29..0.55 rows=10 width=4) (actual time=0.01..0.02 rows=10 loops=1)
   ->  Index Only Scan using orders_pkey on orders  (cost=0.29..5.5 rows=200 width=4) (actual time=0.01..0.01 rows=10 loops=1)
         Heap Fetches: 0
 Planning Time: 0.063 ms
 Execution Time: 0.030 ms
(5 rows)
"""
    plan = parse_plan_text(framed)
    assert [n.node_type for n in plan.nodes()] == ["Limit", "Index Only Scan"]
    assert plan.nodes()[1].index == "orders_pkey" and plan.execution_ms == 0.03


# MySQL 8.0 reference manual, "EXPLAIN Output Format" (FORMAT=JSON), for a filtered full scan
MYSQL_JSON = {
    "query_block": {
        "select_id": 1,
        "cost_info": {"query_cost": "20263.50"},
        "ordering_operation": {
            "using_filesort": True,
            "table": {
                "table_name": "orders",
                "access_type": "ALL",
                "rows_examined_per_scan": 199584,
                "rows_produced_per_join": 19958,
                "filtered": "10.00",
                "cost_info": {"read_cost": "18267.66", "eval_cost": "1995.84", "prefix_cost": "20263.50",
                              "data_read_per_join": "2M"},
                "used_columns": ["id", "customer_id", "status", "total"],
                "attached_condition": "(`shop`.`orders`.`customer_id` = 42)",
            },
        },
    }
}

# MySQL 8.0 reference manual, "Obtaining Information with EXPLAIN ANALYZE", as the manual prints it
# (\\G output, with "(actual ...)" wrapped onto its own line)
MYSQL_TREE_MANUAL = """*************************** 1. row ***************************
EXPLAIN: -> Inner hash join (t2.c2 = t1.c1)  (cost=4.70 rows=6)
(actual time=0.032..0.035 rows=6 loops=1)
    -> Table scan on t2  (cost=0.06 rows=6)
(actual time=0.003..0.005 rows=6 loops=1)
    -> Hash
        -> Table scan on t1  (cost=0.85 rows=6)
(actual time=0.018..0.022 rows=6 loops=1)
"""

# the same shapes for a filtered scan under an OFFSET, and a nested loop of index lookups
MYSQL_TREE_SLOW = """-> Limit/Offset: 10/50000 row(s)  (cost=20263 rows=10) (actual time=95.1..95.2 rows=10 loops=1)
    -> Nested loop inner join  (cost=27249 rows=19958) (actual time=0.9..93.8 rows=50010 loops=1)
        -> Filter: (o.customer_id = 42)  (cost=20263 rows=19958) (actual time=0.5..51.9 rows=50010 loops=1)
            -> Table scan on o  (cost=20263 rows=199584) (actual time=0.05..40.2 rows=200000 loops=1)
        -> Single-row index lookup on c using PRIMARY (id=o.customer_id)  (cost=0.25 rows=1) (actual time=0.001..0.001 rows=1 loops=50010)
"""


def test_mysql_json_sample():
    plan = parse_plan_text(json.dumps(MYSQL_JSON))
    assert plan.flavor == "mysql" and plan.source_format == "mysql-json" and not plan.analysed
    assert [n.node_type for n in plan.nodes()] == ["Query Block", "Sort", "Table Scan"]
    scan = plan.nodes()[2]
    assert scan.relation == "orders" and scan.plan_rows == pytest.approx(19958.4)
    assert plan.root.total_cost == 20263.5
    [f] = [f for f in analyse(plan) if f.check == "missing_index"]
    assert f.object["columns"] == ["customer_id"] and f.evidence["rows_from"] == "estimated"
    assert f.sql == "ALTER TABLE `orders` ADD INDEX `ix_orders_customer_id` (`customer_id`);"


def test_mysql_tree_as_the_manual_prints_it():
    plan = parse_plan_text(MYSQL_TREE_MANUAL)
    assert plan.source_format == "mysql-tree" and plan.analysed
    analyse(plan)
    assert [(n.node_type, n.relation, n.depth) for n in plan.nodes()] == [
        ("Hash Join", None, 0), ("Table Scan", "t2", 1), ("Hash", None, 1), ("Table Scan", "t1", 2)]
    assert plan.execution_ms == pytest.approx(0.035)


def test_mysql_tree_folds_filters_and_finds_the_problems():
    plan = parse_mysql_tree(MYSQL_TREE_SLOW)
    findings = analyse(plan)
    scan = next(n for n in plan.nodes() if n.node_type == "Table Scan")
    assert scan.filter == "(o.customer_id = 42)" and scan.actual_rows == 50010
    assert scan.rows_removed_by_filter == 200000 - 50010
    checks = {f.check for f in findings}
    assert "large_offset" in checks and "nested_loop_explosion" in checks
    lookup = next(n for n in plan.nodes() if n.node_type == "Index Lookup")
    assert lookup.index == "PRIMARY" and lookup.total_ms == pytest.approx(0.001 * 50010)


def test_mysql_json_analyze_shape_from_mariadb():
    data = {"query_optimization": {"r_total_time_ms": 0.13},
            "query_block": {"select_id": 1, "r_loops": 1, "r_total_time_ms": 30.5,
                            "table": {"table_name": "o", "access_type": "ALL", "r_loops": 1, "rows": 19934,
                                      "r_rows": 20000, "r_table_time_ms": 25.1, "r_other_time_ms": 4.9,
                                      "filtered": 100, "r_filtered": 0.05, "attached_condition": "o.customer_id = 5"}}}
    plan = parse_mysql_json(data)
    assert plan.flavor == "mariadb" and plan.planning_ms == 0.13 and plan.execution_ms == 30.5
    scan = plan.nodes()[1]
    assert scan.actual_rows == pytest.approx(10) and scan.rows_removed_by_filter == pytest.approx(19990)


@pytest.mark.parametrize("bad", ['{"query_block": 3}', '{"query_block": {"table": {"table_name": "t", "r_rows": '
                                 '"x"}}, "x": [', "-> ", "   \t  "])
def test_bad_mysql_input_is_bad_input(bad):
    with pytest.raises(BadInput):
        parse_plan_text(bad)


def test_json_nested_beyond_reading_is_bad_input():
    with pytest.raises(BadInput, match="nested too deeply"):
        parse_plan_text("[" * 100000 + "]" * 100000)


def test_pg_text_and_json_read_the_same_foreign_key_trigger(pg_db):
    server, db = pg_db
    server.run(db, """CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent SELECT generate_series(1, 50);
        CREATE TABLE child (parent_id int REFERENCES parent ON DELETE CASCADE);
        INSERT INTO child SELECT i % 50 + 1 FROM generate_series(1, 5000) i;""")
    plans = []
    with server.connect(db) as conn:
        for fmt in ("FORMAT JSON", "FORMAT TEXT"):
            with conn.transaction(force_rollback=True):
                rows = conn.execute(f"EXPLAIN (ANALYZE, {fmt}) DELETE FROM parent WHERE id <= 5").fetchall()
            plans.append(parse_pg_json(rows[0][0]) if "JSON" in fmt else parse_pg_text("\n".join(r[0] for r in rows)))
    (trig_json,), (trig_text,) = (p.triggers for p in plans)
    assert trig_json["Constraint Name"] == trig_text["Constraint Name"] == "child_parent_id_fkey"
    assert trig_json["Calls"] == trig_text["Calls"] == 5
    assert [p.root.node_type for p in plans] == ["ModifyTable", "ModifyTable"]
