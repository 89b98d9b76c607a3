"""Property tests: any plan tree the parsers accept can be analysed, judged and rendered in every
format without an error; anything they do not accept is a BadInput (one clear line), never a crash."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbxray.errors import BadInput
from dbxray.plans.load import parse_plan_json, parse_plan_text
from dbxray.plans.render import render_terminal, text_tree
from dbxray.plans.report import analyse, build_explain_report
from dbxray.report import render

NODE_TYPES = ["Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan", "Sort",
              "Hash", "Hash Join", "Nested Loop", "Merge Join", "Aggregate", "Gather", "Gather Merge", "Limit",
              "CTE Scan", "Materialize", "Result", "Append", "ModifyTable", "Memoize", "Incremental Sort",
              "Subquery Scan", "Function Scan", "WindowAgg", "Unique", "SetOp", "Custom Scan"]
FILTERS = ["(customer_id = 42)", "((a > 1) AND (b = 'x'::text))", "(hashed SubPlan 1)", "((name)::text ~~ '%x')",
           "(lower(email) = $1)", "(a = ANY ('{1,2}'::integer[]))", "((x IS NULL) OR (y < 3))", "(((", ""]
numbers = st.one_of(st.integers(min_value=-10, max_value=10**9),
                    st.floats(min_value=-1e6, max_value=1e12, allow_nan=False, allow_infinity=False))
counts = st.one_of(st.integers(min_value=0, max_value=10**6), st.floats(min_value=0, max_value=1e7,
                                                                       allow_nan=False, allow_infinity=False))
NUMERIC_KEYS = ["Startup Cost", "Total Cost", "Plan Rows", "Plan Width", "Actual Startup Time", "Actual Total Time",
                "Actual Rows", "Actual Loops", "Rows Removed by Filter", "Rows Removed by Index Recheck",
                "Rows Removed by Join Filter", "Heap Fetches", "Hash Batches", "Original Hash Batches",
                "Peak Memory Usage", "Sort Space Used", "Exact Heap Blocks", "Lossy Heap Blocks", "HashAgg Batches",
                "Disk Usage", "Workers Planned", "Workers Launched", "Shared Hit Blocks", "Temp Written Blocks"]
TEXT_KEYS = {"Relation Name": st.sampled_from(["orders", "Order Items", 'we"ird', "t"]),
             "Schema": st.sampled_from(["public", "Shop"]), "Alias": st.sampled_from(["o", "x"]),
             "Index Name": st.sampled_from(["orders_pkey", "ix"]), "Filter": st.sampled_from(FILTERS),
             "Index Cond": st.sampled_from(FILTERS), "Recheck Cond": st.sampled_from(FILTERS),
             "Subplan Name": st.sampled_from(["CTE c", "SubPlan 1", "InitPlan 2 (returns $2)"]),
             "CTE Name": st.just("c"), "Parent Relationship": st.sampled_from(["Outer", "Inner", "InitPlan"]),
             "Join Type": st.sampled_from(["Inner", "Left", "Semi", "Anti"]),
             "Sort Space Type": st.sampled_from(["Disk", "Memory"]),
             "Sort Method": st.sampled_from(["external merge", "quicksort", "top-N heapsort"]),
             "Parallel Aware": st.booleans()}


def _mostly(good):
    """``good`` values, and now and then a wrong type, which the parser must reject as BadInput. Rarely:
    a plan holds a hundred such values, and most plans must be whole (``test_fuzzed_plans_are_mostly_
    accepted``); a value inside the range, since Hypothesis draws the bounds far more often than 1 in 300."""
    return st.integers(0, 299).flatmap(lambda i: st.sampled_from(["12", "", "x"]) if i == 137 else good)


def _node(children):
    base = {"Node Type": st.sampled_from(NODE_TYPES)}
    optional = {key: _mostly(counts if key.startswith(("Actual", "Workers", "Hash", "Heap")) else numbers)
                for key in NUMERIC_KEYS}
    optional["Workers"] = st.lists(st.fixed_dictionaries({}, optional={
        "Worker Number": counts, "Sort Space Used": counts, "Sort Space Type": st.sampled_from(["Disk", "Memory"]),
        "Actual Total Time": _mostly(counts)}), max_size=2)
    optional.update(TEXT_KEYS)
    if children is not None:
        optional["Plans"] = st.lists(children, max_size=3)
    return st.fixed_dictionaries(base, optional=optional)


plan_nodes = st.recursive(_node(None), _node, max_leaves=25)
tops = st.fixed_dictionaries(
    {"Plan": plan_nodes},
    optional={"Planning Time": counts, "Execution Time": counts,
              "JIT": st.fixed_dictionaries({"Functions": counts, "Timing": st.fixed_dictionaries(
                  {"Total": counts}, optional={"Generation": counts})}),
              "Settings": st.dictionaries(st.sampled_from(["work_mem", "hash_mem_multiplier", "jit_above_cost"]),
                                          st.sampled_from(["64kB", "4MB", "2", "banana", "1GB"])),
              "Triggers": st.lists(st.fixed_dictionaries({"Trigger Name": st.just("RI_t"), "Time": counts,
                                                          "Calls": counts}), max_size=2)})


def _everything(plan) -> None:
    findings = analyse(plan)
    assert all(f.object.get("node_id") is not None for f in findings)
    text_tree(plan, findings)
    render_terminal(plan, findings, color=True)
    report = build_explain_report(plan, findings, {"engine": plan.engine})
    json.loads(render(report, "json"))
    render(report, "markdown")
    render(report, "text")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tops)
def test_any_accepted_pg_plan_can_be_analysed_and_rendered(top):
    try:
        plan = parse_plan_json([top])
    except BadInput:
        return
    _everything(plan)


MYSQL_TABLE = st.fixed_dictionaries(
    {"table_name": st.sampled_from(["o", "orders", "c"])},
    optional={"access_type": st.sampled_from(["ALL", "ref", "range", "index", "eq_ref", "weird"]),
              "rows": counts, "r_rows": counts, "filtered": counts, "r_filtered": counts, "r_loops": counts,
              "r_table_time_ms": counts, "r_other_time_ms": counts, "key": st.just("k"),
              "rows_examined_per_scan": counts, "attached_condition": st.sampled_from(
                  ["o.a = 5", "o.b between 1 and 2 and o.c in (1,2)", "((((", "<cache>(x) = 1"])})
mysql_contents = st.recursive(
    st.fixed_dictionaries({"table": MYSQL_TABLE}),
    lambda inner: st.one_of(
        st.fixed_dictionaries({"nested_loop": st.lists(inner, max_size=3)}),
        st.fixed_dictionaries({"filesort": inner}), st.fixed_dictionaries({"temporary_table": inner}),
        st.fixed_dictionaries({"read_sorted_file": inner})),
    max_leaves=10)


@settings(max_examples=100, deadline=None)
@given(mysql_contents, st.one_of(st.none(), counts))
def test_any_accepted_mysql_plan_can_be_analysed_and_rendered(contents, total):
    block = {"select_id": 1, **contents}
    if total is not None:
        block["r_total_time_ms"] = total
    try:
        plan = parse_plan_json({"query_block": block})
    except BadInput:
        return
    _everything(plan)


json_values = st.recursive(st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=5)),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.sampled_from(
                                                       ["Plan", "Plans", "Node Type", "query_block", "table", "x",
                                                        "nested_loop", "Total Cost", "Actual Loops"]), inner,
                                                       max_size=4)), max_leaves=15)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json_is_a_plan_or_bad_input(value):
    try:
        plan = parse_plan_text(json.dumps(value))
    except BadInput:
        return
    _everything(plan)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_is_a_plan_or_bad_input(text):
    try:
        plan = parse_plan_text(text)
    except BadInput:
        return
    _everything(plan)
