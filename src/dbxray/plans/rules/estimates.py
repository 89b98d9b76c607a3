"""Row estimates: where the planner's guess goes wrong, and why (stale or missing statistics, correlation)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dbxray.findings import Finding
from dbxray.plans.model import Node
from dbxray.plans.rules.common import Context, object_of, plan_rule, table_sql_of, time_evidence


def _estimate_factor(node: Node, ctx: Context) -> float:
    if not node.analysed or node.never_executed or node.plan_rows is None or node.actual_rows is None:
        return 1.0
    actual, planned = max(node.actual_rows, 1.0), max(node.plan_rows, 1.0)
    if max(node.actual_rows, node.plan_rows) * max(node.loops, 1.0) < ctx.thresholds.estimate_min_rows:
        return 1.0
    if planned > actual and node.may_stop_early:
        return 1.0  # a Limit (or semi/anti join) stopped pulling rows: not a planner error
    return max(actual, planned) / min(actual, planned)


def _band(factor: float, ctx: Context) -> int:
    return sum(1 for b in ctx.thresholds.estimate_bands if factor >= b)


@plan_rule("row_estimate_error", "estimate_bands", "estimate_min_rows", "estimate_min_ms")
def row_estimate_error(node: Node, ctx: Context) -> Iterable[Finding]:
    """The planner's row estimate is off by 10x/100x/1000x at the node where the error starts.

    Why: every choice above (join method, join order, memory) is made on that number; an error
    that starts at a scan propagates to every join above it, so we report its origin only.
    """
    factor = _estimate_factor(node, ctx)
    band = _band(factor, ctx)
    if band == 0:
        return
    if any(_band(_estimate_factor(c, ctx), ctx) >= band for c in node.children):
        return  # inherited from a child: the child is the origin and is reported there
    severity = {1: "info", 2: "warning", 3: "critical"}[band]
    ran_ms = ctx.plan.execution_ms if ctx.plan.execution_ms is not None else ctx.plan.root.total_ms
    if ran_ms is not None and ran_ms < ctx.thresholds.estimate_min_ms:
        severity = "info"  # wrong, but it cost nothing this time
    direction = "under" if (node.actual_rows or 0) > (node.plan_rows or 0) else "over"
    evidence = {"plan_rows": node.plan_rows, "actual_rows": node.actual_rows, "loops": node.actual_loops,
                "factor": round(factor, 1), "direction": f"{direction}estimate", **time_evidence(node)}
    where = node.label()
    title = (f"{direction.capitalize()}estimated rows {factor:,.0f}x at {where}: planned "
             f"{node.plan_rows:,.0f}, got {node.actual_rows:,.0f} per loop")
    table_node = node
    if node.node_type == "Bitmap Index Scan" and node.parent is not None and node.parent.relation:
        table_node = node.parent  # the index scan's table is named on the heap scan above it
    recommendation, sql, obj_extra = _estimate_cause(table_node, ctx, evidence)
    obj = object_of(table_node, ctx, **obj_extra)
    obj.update({"node_id": node.node_id, "node_type": node.node_type, "index": node.index or obj.get("index")})
    yield Finding("row_estimate_error", severity, title, obj, evidence, recommendation, sql)


def _stale(info: dict[str, Any], reltuples: float, mods: float) -> bool:
    """Never analysed, or changed by more than 10% since.

    Right after an ANALYZE, the modification counter can still include rows whose counts the
    writing session flushed late (PostgreSQL 15 flushes table stats up to a second after the
    fact); a table analysed within the last minute whose row count matches is not stale.
    """
    analyzed, now = info.get("analyzed_at"), info.get("now")
    if analyzed is None:
        return True
    if mods <= 50 + 0.1 * reltuples:
        return False
    live = float(info.get("n_live_tup") or 0.0)
    recent = now is not None and (now - analyzed).total_seconds() < 60
    return not (recent and abs(live - reltuples) <= 0.1 * max(reltuples, 1.0))


def _estimate_cause(node: Node, ctx: Context, evidence: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    """Stale statistics, then correlated columns, then the generic advice."""
    table_sql = table_sql_of(node, ctx)
    info = ctx.table(node)
    if info is not None and table_sql and ctx.dialect.tracks_statistics_age:
        reltuples = max(float(info.get("reltuples") or 0.0), 0.0)
        mods = float(info.get("n_mod_since_analyze") or 0.0)
        analyzed = info.get("analyzed_at")
        evidence.update({"last_analyze": analyzed, "n_mod_since_analyze": int(mods),
                         "n_live_tup": info.get("n_live_tup"), "reltuples": reltuples})
        if _stale(info, reltuples, mods):
            evidence["cause"] = "stale statistics"
            why = "never been analysed" if analyzed is None else (
                f"changed by {mods:,.0f} rows since its last ANALYZE ({reltuples:,.0f} rows then)")
            return (f"Likely cause: stale statistics: {node.relation} has {why}. Run ANALYZE on it, and check "
                    "why autovacuum did not (autovacuum_enabled, thresholds).", ctx.dialect.analyze(table_sql), {})
    preds = ctx.predicates(" AND ".join(p for p in (node.index_cond, node.recheck_cond, node.filter) if p))
    eq = list(dict.fromkeys(preds.equality)) if preds else []
    if table_sql and len(eq) >= 2 and node.relation:
        evidence["cause"] = "correlated columns"
        schema = node.schema or (info or {}).get("schema")
        advice, sql = ctx.dialect.correlated_columns(schema, node.relation, table_sql, eq)
        return advice, sql, {"columns": eq}
    if table_sql and preds and preds.columns:
        cols = list(dict.fromkeys(preds.equality + preds.range))
        fix = ctx.dialect.column_statistics(table_sql, cols, ctx.plan.flavor)
        if fix is not None:
            evidence["cause"] = "no column statistics"
            return fix[0], fix[1], {"columns": cols}
    if table_sql and node.relation and ctx.dialect.tracks_statistics_age:
        return ("Refresh the statistics first (ANALYZE); if the estimate stays wrong, raise the column's statistics "
                "target (ALTER TABLE ... ALTER COLUMN ... SET STATISTICS 1000) or add extended statistics.",
                ctx.dialect.analyze(table_sql), {})
    return ("The planner misjudged how many rows this step produces, so the plan above it was chosen on a wrong "
            "number: check the statistics of the tables below it, and join conditions on correlated columns.",
            None, {})
