"""Joins: nested loops whose inner side runs far more often than it should."""

from __future__ import annotations

from collections.abc import Iterable

from dbxray.findings import Finding
from dbxray.plans.model import Node
from dbxray.plans.rules.common import FULL_SCANS, Context, object_of, plan_rule


@plan_rule("nested_loop_explosion", "nested_loop_loops", "nested_loop_critical_loops", "nested_loop_seq_loops")
def nested_loop_explosion(node: Node, ctx: Context) -> Iterable[Finding]:
    """A nested loop whose inner side runs very many times (or re-reads a table for each outer row)."""
    if node.node_type != "Nested Loop" or len(node.children) < 2:
        return
    outer, inners = node.children[0], [c for c in node.children[1:] if not c.subplan_name]
    if not inners:
        return
    inner = max(inners, key=lambda n: n.actual_loops or 0.0)  # MySQL nested loops list every joined table
    t = ctx.thresholds
    inner_full = any(n.node_type in FULL_SCANS for n in inner.walk() if n.node_type != "Materialize") \
        and inner.node_type != "Materialize"
    if node.analysed:
        loops = inner.actual_loops or 0.0
        if inner.node_type == "Memoize" and inner.children:  # only cache misses run the inner plan
            loops = inner.children[0].actual_loops or 0.0
        if loops < t.nested_loop_loops and not (inner_full and loops >= t.nested_loop_seq_loops):
            return
        inner_ms = inner.total_ms or 0.0
        reference = ctx.plan.execution_ms or ctx.plan.root.total_ms or 0.0
        share = inner_ms / reference if reference else 0.0
        severity = "info"
        if share >= 0.2 or inner_full:
            severity = "warning"
        if loops >= t.nested_loop_critical_loops and share >= 0.5:
            severity = "critical"
        expected = (outer.plan_rows or 0.0) * max(outer.loops, 1.0)
        evidence = {"inner_loops": loops, "outer_rows_planned": expected, "inner_ms": round(inner_ms, 3),
                    "inner_pct": round(100 * share, 1), "inner_node_id": inner.node_id,
                    "inner_node_type": inner.node_type}
        how = f"ran its inner side ({inner.label()}) {loops:,.0f} times"
    else:
        expected = outer.plan_rows or 0.0
        if not (inner_full and expected >= t.nested_loop_loops):
            return
        loops = expected
        severity = "warning"
        evidence = {"outer_rows_planned": expected, "inner_node_id": inner.node_id, "inner_node_type": inner.node_type}
        how = f"is planned to run its inner side ({inner.label()}) {expected:,.0f} times"
    causes = []
    if node.analysed and expected and loops >= 10 * max(expected, 1.0):
        causes.append(f"the planner expected {expected:,.0f} outer rows and got {loops:,.0f}: a nested loop was "
                      "chosen on a wrong estimate (see the row_estimate_error finding below it)")
        evidence["cause"] = "row estimate"
    if inner_full:
        causes.append("the inner side reads a whole table each time: an index on its join column would make each "
                      "loop a lookup")
    rec = ("Likely cause: " + "; ".join(causes) + ". " if causes else "") + \
        "To confirm, compare the plan with SET enable_nestloop = off in a test session (not as a fix)."
    yield Finding("nested_loop_explosion", severity, f"Nested loop at node {node.node_id} {how}",
                  object_of(node, ctx), evidence, rec, None)
