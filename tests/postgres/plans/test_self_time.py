"""Exclusive (self) time on real plans: loops multiplied in, parallel workers divided out (by the
workers that were *launched*), CTE subplans paid once by their reader — the arithmetic that
plan readers have historically got wrong (PEV2 #482/#96, pgMustard #1/#8)."""

from __future__ import annotations

import pytest

from dbxray.plans.analyze import hot_nodes
from tests.postgres.plans.conftest import explain_on

PARALLEL = ("SET parallel_setup_cost = 0", "SET parallel_tuple_cost = 0", "SET min_parallel_table_scan_size = 0",
            "SET max_parallel_workers_per_gather = 2")


def _rounding(node) -> float:
    """PostgreSQL prints per-loop times to 0.001 ms: over many loops that rounding adds up."""
    return 0.0005 * max(node.actual_loops or 1.0, 1.0)


def _consistent(plan, slack_ms: float = 0.5) -> None:
    """Self times are never negative, they add up to the root's time, and no node outlasts its parent
    (within PostgreSQL's own rounding of per-loop times)."""
    nodes = plan.nodes()
    assert all(n.self_ms is not None and n.self_ms >= 0 for n in nodes)
    rounding = sum(_rounding(n) for n in nodes)
    assert sum(n.self_ms for n in nodes) == pytest.approx(plan.root.total_ms, rel=0.05, abs=slack_ms + rounding)
    for n in nodes:
        if n.parent is not None and not (n.subplan_name or "").startswith("CTE "):
            allowed = n.parent.total_ms + slack_ms + _rounding(n) + _rounding(n.parent)
            assert n.total_ms <= allowed, (n.label(), n.total_ms, n.parent.total_ms)


def test_parallel_scan_is_divided_by_the_processes_that_ran(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT count(*) FROM orders WHERE total % 7 = 0", settings=PARALLEL)
    plan = result.plan
    scan = next(n for n in plan.nodes() if n.node_type == "Parallel Seq Scan")
    gather = next(n for n in plan.nodes() if n.node_type == "Gather")
    launched = gather.workers_launched
    assert launched >= 1 and scan.actual_loops == launched + 1 and scan.processes == launched + 1
    naive = scan.actual_total_ms * scan.actual_loops  # what a reader that ignores workers would claim
    # (whether the naive sum exceeds the statement's own time depends on the workers getting a core each:
    # not on a loaded 2-core machine, so the arithmetic is asserted, not the timing)
    assert scan.total_ms == pytest.approx(naive / (launched + 1)) and scan.total_ms <= gather.total_ms
    _consistent(plan)
    assert hot_nodes(plan)[0]["node_type"] in ("Parallel Seq Scan", "Gather")


def test_workers_planned_but_none_launched(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT count(*) FROM orders WHERE total % 7 = 0",
                        settings=(*PARALLEL, "SET max_parallel_workers = 0"))
    gather = next(n for n in result.plan.nodes() if n.node_type == "Gather")
    scan = next(n for n in result.plan.nodes() if n.node_type == "Parallel Seq Scan")
    assert gather.workers_planned == 2 and gather.workers_launched == 0
    assert scan.processes == 1 and scan.total_ms == pytest.approx(scan.actual_total_ms)
    _consistent(result.plan)


def test_loops_are_multiplied_in(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id "
                                    "WHERE o.id < 3000", settings=("SET enable_hashjoin = off",
                                                                   "SET enable_mergejoin = off"))
    inner = next(n for n in result.plan.nodes() if n.relation == "customers")
    assert inner.actual_loops >= 2999
    assert inner.total_ms == pytest.approx(inner.actual_total_ms * inner.actual_loops)
    _consistent(result.plan)


def test_a_cte_read_twice_is_paid_once(shop):
    server, db = shop
    sql = ("WITH c AS MATERIALIZED (SELECT id, total FROM orders WHERE total % 3 = 0) "
           "SELECT count(*) FROM c a JOIN c b USING (id)")
    result = explain_on(server, db, sql, settings=("SET max_parallel_workers_per_gather = 0",))
    plan = result.plan
    assert sum(1 for n in plan.nodes() if n.node_type == "CTE Scan") == 2
    assert any((n.subplan_name or "").startswith("CTE c") for n in plan.nodes())
    _consistent(plan)


def test_plain_explain_ranks_by_exclusive_cost(shop):
    server, db = shop
    result = explain_on(server, db, "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id", analyze=False,
                        settings=("SET max_parallel_workers_per_gather = 0",))
    hot = hot_nodes(result.plan)
    assert hot[0]["self_ms"] is None and hot[0]["self_cost"] > 0
    assert hot[0]["relation"] == "orders"
    total = sum(n.self_cost for n in result.plan.nodes())
    assert total == pytest.approx(result.plan.root.total_cost, rel=0.01)
