"""Statement-level: planning time, JIT, OFFSET paging, foreign-key triggers."""

from __future__ import annotations

import math
from collections.abc import Iterable

from dbxray.findings import Finding
from dbxray.plans.model import Node, Plan
from dbxray.plans.rules.common import Context, object_of, plan_rule, time_evidence


@plan_rule("high_planning_time", "planning_info_ms", "planning_warning_ms", scope="plan")
def high_planning_time(plan: Plan, ctx: Context) -> Iterable[Finding]:
    """Planning took longer than it should: many partitions, many joins, or heavy statistics."""
    planning = plan.planning_ms
    if planning is None:
        return
    t = ctx.thresholds
    execution = plan.execution_ms
    share = planning / (planning + execution) if execution is not None and planning + execution > 0 else None
    if planning >= t.planning_warning_ms and (share is None or share >= 0.2):
        severity = "warning"
    elif planning >= t.planning_info_ms and (share is None or share >= 0.5):
        severity = "info"
    else:
        return
    root = plan.root
    n_nodes = sum(1 for _ in root.walk())
    relations = len({(n.schema, n.relation) for n in root.walk() if n.relation})
    yield Finding(
        "high_planning_time", severity,
        f"Planning took {planning:,.1f} ms" + (f", {100 * share:.0f}% of the statement's time" if share else ""),
        {"node_id": root.node_id, "node_type": root.node_type},
        {"planning_ms": round(planning, 3), "execution_ms": execution, "planning_pct": round(100 * share, 1)
         if share is not None else None, "plan_nodes": n_nodes, "relations": relations},
        "Prepare the statement once and execute it many times (a prepared statement plans once), make sure "
        "partition pruning applies (filter on the partition key with a constant or parameter), and keep the join "
        "count under join_collapse_limit.", None)


@plan_rule("jit_cost", "jit_min_ms", "jit_share", scope="plan")
def jit_cost(plan: Plan, ctx: Context) -> Iterable[Finding]:
    """JIT compilation cost a large share of a statement that runs too briefly to gain from it.

    Check id ``setting`` with ``object.setting = 'jit'`` (the vocabulary's settings id): the fix is
    a setting (jit_above_cost or jit), not the statement.
    """
    timing = plan.jit.get("Timing") if isinstance(plan.jit, dict) else None
    if not isinstance(timing, dict):
        return
    total = timing.get("Total")
    if isinstance(total, dict):  # PG 15+ JSON: {"Generation": {"Total": ...}} per phase? keep both shapes
        total = total.get("Total")
    if not isinstance(total, (int, float)) or isinstance(total, bool):
        total = sum(v for v in timing.values() if isinstance(v, (int, float)) and not isinstance(v, bool))
    execution = plan.execution_ms
    t = ctx.thresholds
    if total < t.jit_min_ms or (execution and total < t.jit_share * execution):
        return
    cost = plan.root.total_cost or 0.0
    suggested = int(10 ** math.ceil(math.log10(max(cost, 1.0) * 10)))
    share = 100.0 * total / execution if execution else None
    yield Finding(
        "setting", "warning",
        f"JIT compilation took {total:,.1f} ms" + (f" ({share:.0f}% of execution)" if share else ""),
        {"setting": "jit", "node_id": plan.root.node_id, "node_type": plan.root.node_type},
        {"jit_ms": round(total, 3), "execution_ms": execution, "jit_functions": plan.jit.get("Functions"),
         "plan_total_cost": cost, "jit_above_cost": plan.settings.get("jit_above_cost")},
        f"JIT is compiling code for a statement that runs too briefly to gain from it. Raise jit_above_cost above "
        f"this plan's cost ({cost:,.0f}), e.g. to {suggested:,}, for this role or database; or turn jit off for "
        "OLTP workloads.",
        f"SET jit_above_cost = {suggested};")


@plan_rule("large_offset", "large_offset_rows")
def large_offset(node: Node, ctx: Context) -> Iterable[Finding]:
    """``OFFSET n``: the server produces and throws away n rows to return the page after them."""
    if node.node_type != "Limit" or not node.children:
        return
    child = node.children[0]
    offset = None
    if node.analysed and child.analysed and not node.never_executed:
        offset = (child.rows_total or 0.0) - (node.rows_total or 0.0)
        how = "measured"
    if offset is None and ctx.statement and node.parent is None:
        offset, how = ctx.dialect.statement_offset(ctx.statement), "statement"
    if not offset or offset < ctx.thresholds.large_offset_rows:
        return
    returned = node.rows_total if node.analysed else node.plan_rows
    yield Finding(
        "large_offset", "warning",
        f"OFFSET throws away {offset:,.0f} rows to return {returned or 0:,.0f}",
        object_of(node, ctx),
        {"rows_discarded": round(offset), "rows_returned": returned, "offset_from": how, **time_evidence(node)},
        "Page with a keyset instead of OFFSET: remember the last sort key of the page and ask for "
        "WHERE key > :last ORDER BY key LIMIT n, which reads only the rows it returns.", None)


@plan_rule("slow_fk_trigger", "fk_trigger_min_ms", "fk_trigger_share", scope="plan")
def slow_fk_trigger(plan: Plan, ctx: Context) -> Iterable[Finding]:
    """A foreign key's trigger (ON DELETE/UPDATE of the referenced row) dominates the statement.

    Why: each deleted parent row makes PostgreSQL look up the referencing rows; without an index
    on the referencing columns, each lookup is a full scan of the child table. The time shows only
    in the plan's ``Triggers`` list, never in a node (pgMustard #72, PEV2 #601).
    """
    execution = plan.execution_ms or 0.0
    for trig in plan.triggers:
        constraint, time_ms = trig.get("Constraint Name"), float(trig.get("Time") or 0.0)
        if not constraint or time_ms < ctx.thresholds.fk_trigger_min_ms or \
                (execution and time_ms < ctx.thresholds.fk_trigger_share * execution):
            continue
        fk = ctx.catalog.foreign_key(str(constraint), trig.get("Relation")) if ctx.catalog is not None else None
        if fk is not None and fk["indexed"]:
            continue
        evidence = {"trigger": trig.get("Trigger Name"), "constraint": constraint, "trigger_ms": round(time_ms, 3),
                    "calls": trig.get("Calls"), "execution_ms": execution,
                    "trigger_pct": round(100 * time_ms / execution, 1) if execution else None}
        obj = {"node_id": plan.root.node_id, "node_type": plan.root.node_type}
        sql = None
        if fk is not None:
            obj.update({"schema": fk["schema"], "table": fk["table"], "columns": list(fk["columns"])})
            sql = ctx.dialect.create_index(ctx.dialect.quote(fk["schema"], fk["table"]), fk["table"],
                                           list(fk["columns"]), partitioned=False)
            what = f"{fk['table']} ({', '.join(fk['columns'])})"
        else:
            what = f"the referencing columns of {constraint}"
        yield Finding(
            "missing_fk_index", "warning",
            f"Foreign key {constraint} cost {time_ms:,.1f} ms in its trigger ({trig.get('Calls')} calls): "
            f"{what} has no index",
            obj, evidence,
            f"Each change to a referenced row scans {what} to find the rows that point at it. An index on "
            "the referencing columns makes each check a lookup.", sql)
