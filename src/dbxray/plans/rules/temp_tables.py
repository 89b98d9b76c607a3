"""Implicit temporary tables: a GROUP BY, DISTINCT or ORDER BY the server answers by filling an internal
table (MySQL/MariaDB), named, with where the time went, whether it went to disk, and the index that
would let the server group in index order instead."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dbxray.findings import Finding
from dbxray.plans.model import Node
from dbxray.plans.rules.common import Context, object_of, plan_rule, time_evidence


def _is_temp(node: Node) -> bool:
    head = str(node.raw.get("head") or "").lower()
    return ("temporary" in node.node_type.lower() and "<temporary>" not in node.node_type.lower()) \
        or "temporary table" in head or node.raw.get("using_temporary_table") is True


def _rows_filling(node: Node) -> list[Node]:
    """The table accesses that feed this temporary table (not those of a deeper one)."""
    out, stack = [], list(node.children)
    while stack:
        n = stack.pop()
        if _is_temp(n):
            continue
        if n.relation:
            out.append(n)
        stack.extend(n.children)
    return out


def _temp_ms(node: Node) -> float:
    """MariaDB books the work of writing rows into the temporary table as the ``r_other_time_ms`` of the
    tables below it; MySQL's tree gives the aggregate node its own time."""
    other = sum(float(n.raw.get("r_other_time_ms") or 0.0) for n in _rows_filling(node))
    own = node.self_ms if node.self_ms is not None and node.self_ms > 0 else 0.0
    parent = node.parent
    if parent is not None and parent.relation == "<temporary>" and parent.self_ms:
        own += parent.self_ms  # MySQL: reading the temporary table back
    return other + own


def _purpose(grouping: dict[str, Any] | None) -> str:
    if not grouping:
        return "the statement"
    parts = []
    if grouping.get("group_by"):
        parts.append("GROUP BY " + ", ".join(c for _, c in grouping["group_by"]))
    elif grouping.get("distinct"):
        parts.append("DISTINCT")
    if grouping.get("order_by"):
        parts.append("ORDER BY " + ", ".join(c for _, c in grouping["order_by"]))
    return " / ".join(parts) or "the statement"


def _index(node: Node, ctx: Context, grouping: dict[str, Any] | None) -> tuple[str | None, list[str], str | None]:
    """(table, index columns, CREATE INDEX) that lets the server read rows in group order."""
    if not grouping:
        return None, [], None
    keys = grouping.get("group_by") or (grouping.get("order_by") if not grouping.get("distinct") else None)
    if not keys or len({t for t, _ in keys}) != 1:
        return None, [], None
    table = keys[0][0]
    columns = list(grouping.get("equalities", {}).get(table, []))
    for _, col in keys:
        if col not in columns:
            columns.append(col)
    # the aggregated columns of that table too, when few: the index then covers the statement
    extra = [c for t, c in grouping.get("aggregated", []) if t == table and c not in columns]
    if grouping.get("group_by") and len(columns) + len(extra) <= 5:
        columns += extra
    feeding = next((n for n in _rows_filling(node) if (n.relation or "").lower() == table.lower()), None)
    schema = (feeding.schema if feeding else None) or grouping.get("tables", {}).get(table)
    table_sql = ctx.dialect.quote(schema, table) if schema else ctx.dialect.quote(table)
    return table, columns, ctx.dialect.create_index(table_sql, table, columns, False)


@plan_rule("temp_table", "temp_table_min_ms", "temp_table_share")
def temp_table(node: Node, ctx: Context) -> Iterable[Finding]:
    """An implicit temporary table (GROUP BY / DISTINCT / ORDER BY) that takes a large share of the run.

    MariaDB's ANALYZE FORMAT=JSON shows it as ``temporary_table`` (under ``filesort``) and books the work of
    filling it as the ``r_other_time_ms`` of the table read below; MySQL 8's tree shows ``Aggregate using
    temporary table`` / ``Temporary table with deduplication`` with their own time. Reported when it costs
    ``temp_table_min_ms`` and ``temp_table_share`` of the statement. Evidence: whether it went to disk
    (``Created_tmp_disk_tables`` around the run, read by ``dbxray explain --analyze``), the in-memory limit
    (the smaller of ``tmp_table_size`` and ``max_heap_table_size``), TEXT/BLOB columns the statement reads
    (they force an on-disk table on MariaDB and on MySQL before 8.0.13), and the index that lets the server
    group in index order with no temporary table (WHERE equality columns, then the GROUP BY columns).
    """
    if not _is_temp(node) or not ctx.plan.analysed:
        return
    total = ctx.plan.execution_ms or ctx.plan.root.total_ms
    spent = _temp_ms(node)
    if not total or spent < ctx.thresholds.temp_table_min_ms or spent / total < ctx.thresholds.temp_table_share:
        return
    grouping = ctx.dialect.grouping(ctx.statement)
    purpose = _purpose(grouping)
    facts = ctx.plan.facts or {}
    delta = facts.get("status_delta") or {}
    disk = delta.get("created_tmp_disk_tables")
    went_to_disk = None if disk is None else disk > 0
    limits = {k: ctx.plan.settings.get(k) for k in ("tmp_table_size", "max_heap_table_size")
              if ctx.plan.settings.get(k) is not None}
    in_memory_limit = min((float(v) for v in limits.values()), default=None)
    mentioned = set((grouping or {}).get("columns") or [])
    blobs = sorted(f"{t}.{c}" for t, cols in (facts.get("blob_columns") or {}).items() for c in cols
                   if c.lower() in mentioned)
    table, columns, create = _index(node, ctx, grouping)
    feeding = _rows_filling(node)
    evidence: dict[str, Any] = {
        "temporary_table_for": purpose, "temp_table_ms": round(spent, 1), "statement_ms": round(total, 1),
        "share_pct": round(100.0 * spent / total, 1),
        "rows_into_it": sum(n.rows_total or 0.0 for n in feeding) or None,
        "filled_from": [n.label() for n in feeding][:5],
        "went_to_disk": went_to_disk, "created_tmp_disk_tables": disk,
        "created_tmp_tables": delta.get("created_tmp_tables"), **limits,
        "blob_columns": blobs or None, **(time_evidence(node) if node.self_ms else {})}
    if facts.get("status_source"):
        evidence["status_source"] = facts["status_source"]
    causes = []
    if went_to_disk:
        causes.append("it went to disk" + (f" (TEXT/BLOB columns {', '.join(blobs)} force an on-disk temporary "
                                           "table on MariaDB and on MySQL before 8.0.13)" if blobs else
                                           f" (over the in-memory limit of {in_memory_limit / 1048576:g} MiB, the "
                                           "smaller of tmp_table_size and max_heap_table_size)"
                                           if in_memory_limit else ""))
    elif went_to_disk is False:
        causes.append("it stayed in memory: the cost is filling it row by row")
    advice = (f"The server builds an implicit temporary table for {purpose}, and that costs {spent:,.0f} ms of "
              f"{total:,.0f} ms ({100.0 * spent / total:.0f}%)" + (": " + "; ".join(causes) if causes else "") + ". ")
    if create:
        advice += (f"An index on {table}({', '.join(columns)}) lets the server read the rows already in group "
                   "order and aggregate them as they come, with no temporary table.")
    else:
        advice += "Group and order by the columns of one table, so that one index can return the rows in order."
    if went_to_disk and not blobs and in_memory_limit:
        advice += (" Raising tmp_table_size and max_heap_table_size together (for this session) keeps it in memory "
                   "if no index can serve it.")
    yield Finding(
        "temp_table", "warning",
        f"Implicit temporary table for {purpose} takes {100.0 * spent / total:.0f}% of the run "
        f"({spent / 1000:.2f} s)" + (", on disk" if went_to_disk else ""),
        object_of(node, ctx, **({"table": table, "columns": columns} if table else {})), evidence, advice, create)
