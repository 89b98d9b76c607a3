"""Wasted reads: full scans a B-tree would avoid, filters that discard most rows, heap fetches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dbxray.findings import Finding
from dbxray.plans.model import Node
from dbxray.plans.rules.common import FULL_SCANS, SCANS, Context, object_of, plan_rule, table_sql_of, time_evidence


def _rows_read(node: Node, ctx: Context) -> tuple[float, float, str] | None:
    """(rows read, rows kept, how we know): measured when analysed, else planned vs the table's size."""
    if node.analysed:
        if node.never_executed:
            return None
        kept = (node.actual_rows or 0.0) * max(node.loops, 1.0)
        read = kept + node.removed_total("filter") + node.removed_total("recheck")
        return read, kept, "measured"
    if node.raw.get("plan_rows_read") is not None and node.plan_rows is not None:  # MySQL: rows examined
        return float(node.raw["plan_rows_read"]), node.plan_rows, "estimated"
    info = ctx.table(node)
    if info and node.plan_rows is not None and float(info.get("reltuples") or 0) > 0:
        processes = (node.parent.workers_planned or 0) + 1 if node.node_type.startswith("Parallel") and \
            node.parent is not None and node.parent.workers_planned else 1
        return float(info["reltuples"]), node.plan_rows * processes, "estimated"
    return None


@plan_rule("missing_index", "missing_index_min_rows", "missing_index_selectivity")
def missing_index(node: Node, ctx: Context) -> Iterable[Finding]:
    """A full scan whose filter throws away most rows, on columns a B-tree could serve.

    The suggestion comes from the filter alone (equality columns first, then one range column);
    it is unproven until the index advisor re-plans with a hypothetical index (HypoPG).
    """
    found = _missing_index(node, ctx)
    if found:
        yield found


def _missing_index(node: Node, ctx: Context) -> Finding | None:
    if node.node_type not in FULL_SCANS or not node.filter or not node.relation:
        return None
    read_kept = _rows_read(node, ctx)
    if not read_kept:
        return None
    read, kept, how = read_kept
    t = ctx.thresholds
    if read < t.missing_index_min_rows or kept > read * t.missing_index_selectivity * 1.0001:
        return None
    preds = ctx.predicates(node.filter)
    if not preds or not preds.columns:
        return None
    columns = preds.columns
    info = ctx.table(node)
    if info:
        nd = info.get("n_distinct") or {}
        eq = sorted(dict.fromkeys(preds.equality), key=lambda c: -_distinct(nd.get(c), info))
        columns = eq + [c for c in preds.columns if c not in eq]
        if any(ix and ix[0] == columns[0] for ix in info.get("indexes") or []):
            return None  # an index already leads with this column: the planner chose not to use it
    table_sql = table_sql_of(node, ctx)
    sql = ctx.dialect.create_index(table_sql, node.relation, columns, partitioned=(info or {}).get("relkind") == "p")
    removed_pct = 100.0 * (1 - kept / read) if read else 0.0
    evidence = {"rows_read": round(read), "rows_kept": round(kept), "removed_pct": round(removed_pct, 2),
                "rows_from": how, "filter": node.filter, "proven": False, **time_evidence(node)}
    severity = "warning"
    if kept > 0.01 * read:  # keeps 1-10%: an index may still lose to the scan; the advisor's proof decides
        severity = "info"
    if node.self_pct is not None and node.self_pct < 5 and read < 100 * t.missing_index_min_rows:
        severity = "info"
    return Finding(
        "missing_index", severity,
        f"{node.node_type} on {node.relation} reads {read:,.0f} rows to keep {kept:,.0f}: an index on "
        f"({', '.join(columns)}) could serve the filter",
        object_of(node, ctx, columns=columns), evidence,
        f"Create a B-tree index on ({', '.join(columns)}) (equality columns first): the scan reads the whole table "
        "and discards {:.1f}% of it. Unproven: the index advisor (`dbxray indexes`) proves it with a hypothetical "
        "index before you build it.".format(removed_pct),
        sql)


def _distinct(value: Any, info: dict[str, Any]) -> float:
    if value is None:
        return 0.0
    value = float(value)
    return value if value >= 0 else -value * max(float(info.get("reltuples") or 0), 1.0)


@plan_rule("filter_inefficiency", "removed_info", "removed_warning", "removed_min_rows")
def filter_inefficiency(node: Node, ctx: Context) -> Iterable[Finding]:
    """Most rows a scan (or join) reads are thrown away by its filter or recheck."""
    if not node.analysed or node.never_executed:
        return
    t = ctx.thresholds
    if node.node_type in SCANS:
        removed = node.removed_total("filter") + node.removed_total("recheck")
        if float(node.raw.get("Lossy Heap Blocks") or 0) > 0:
            removed = node.removed_total("filter")  # the recheck part is lossy_bitmap's finding
        what = node.filter or node.recheck_cond
    elif node.rows_removed_by_join_filter:
        removed = node.removed_total("join_filter")
        what = node.join_filter
    else:
        return
    kept = (node.actual_rows or 0.0) * max(node.loops, 1.0)
    total = removed + kept
    if removed < t.removed_min_rows or total <= 0:
        return
    share = removed / total
    if share < t.removed_info:
        return
    if node.node_type in FULL_SCANS and _missing_index(node, ctx) is not None:
        return  # reported as missing_index, with the index that fixes it
    severity = "warning" if share >= t.removed_warning else "info"
    evidence = {"rows_removed": round(removed), "rows_kept": round(kept), "removed_pct": round(100 * share, 2),
                "filter": what, **time_evidence(node)}
    sql = None
    rec = "Filter earlier: an index (or a partial index) that matches the whole condition reads only the rows kept."
    if (node.index or "Bitmap Heap" in node.node_type) and ctx.dialect.merges_index_and_filter:
        cond = ctx.predicates(node.index_cond or node.recheck_cond)
        filt = ctx.predicates(node.filter)
        if cond and filt and cond.columns and filt.equality + filt.range:
            eq = list(dict.fromkeys(cond.equality + filt.equality))
            rng = [c for c in cond.range + filt.range if c not in eq][:1]
            columns = eq + rng
            if columns != cond.columns:
                rec = (f"The index {node.index or 'scan'} finds {total:,.0f} rows and the filter then drops "
                       f"{100 * share:.0f}% of them: an index on ({', '.join(columns)}) would find only the rows "
                       "kept (unproven).")
                sql = ctx.dialect.create_index(table_sql_of(node, ctx), node.relation, columns, partitioned=False)
                evidence["proven"] = False
    yield Finding(
        "filter_inefficiency", severity,
        f"{node.label()} discards {100 * share:.0f}% of the {total:,.0f} rows it reads",
        object_of(node, ctx), evidence, rec, sql)


@plan_rule("heap_fetches", "heap_fetch_info", "heap_fetch_warning", "heap_fetch_min")
def heap_fetches(node: Node, ctx: Context) -> Iterable[Finding]:
    """An index-only scan that still visits the heap: the visibility map is out of date."""
    if "Index Only Scan" not in node.node_type or not node.analysed:
        return
    fetches = float(node.raw.get("Heap Fetches") or 0) * 1.0
    if fetches < ctx.thresholds.heap_fetch_min:
        return
    # PostgreSQL reports Heap Fetches summed over loops (not per loop) from PG 11 on
    rows = (node.actual_rows or 0.0) * max(node.loops, 1.0) + node.removed_total("filter")
    share = fetches / max(rows, 1.0)
    if share < ctx.thresholds.heap_fetch_info:
        return
    severity = "warning" if share >= ctx.thresholds.heap_fetch_warning else "info"
    table_sql = table_sql_of(node, ctx)
    yield Finding(
        "heap_fetches", severity,
        f"Index-only scan on {node.relation} went to the heap for {fetches:,.0f} of {rows:,.0f} rows",
        object_of(node, ctx), {"heap_fetches": fetches, "rows": rows, "fetch_pct": round(100 * min(share, 1.0), 1),
                             **time_evidence(node)},
        "Likely cause: the visibility map is stale (the table changed since its last VACUUM), so the index-only "
        "scan must check the heap. VACUUM the table, and tune autovacuum so it keeps up.",
        ctx.dialect.vacuum(table_sql) if table_sql else None)
