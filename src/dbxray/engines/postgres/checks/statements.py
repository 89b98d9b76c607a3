"""Statement checks for PostgreSQL, from pg_stat_statements (or the interval between two snapshots)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import human_bytes, qualified, records, short_query, table_rows
from dbxray.engines.postgres.quoting import pg_ident, pg_literal
from dbxray.findings import Finding
from dbxray.report import summary as summ

BLOCK = 8192


def _ranked(snap: Any):
    return summ.statements(snap["statements"])


def _explain_hint(queryid: Any) -> str:
    return f"Run `dbxray explain --query-id {queryid}` to see where the time goes"


@check("slow_query", "statements", engines=ENGINES, mean_ms=20.0, min_calls=100, critical_mean_ms=1000.0,
       dominant_pct=30.0)
def slow_query(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements whose average time (planning + execution) is high and that run often.

    Why: a statement that takes ``mean_ms`` or more and runs at least ``min_calls`` times is
    where users wait; defaults follow PgHero (20 ms, 100 calls). One that takes more than
    ``dominant_pct`` of all statement time dominates the workload (postgres-checkup K003)
    and is critical whatever its mean.
    Fix: read its plan (``dbxray explain --query-id``); most often an index is missing.
    """
    df = _ranked(snap)
    for r in records(df):
        calls = r.get("calls") or 0
        mean = r.get("mean_ms") or 0.0
        share = r.get("share_pct") or 0.0
        dominant = share >= t["dominant_pct"] and calls >= t["min_calls"] and mean >= t["mean_ms"] / 4
        if not dominant and (calls < t["min_calls"] or mean < t["mean_ms"]):
            continue
        severity = "critical" if mean >= t["critical_mean_ms"] or dominant else "warning"
        why = f"{share:.0f}% of all statement time" if dominant else f"{mean:,.1f} ms per call"
        yield Finding(
            check="slow_query",
            severity=severity,
            title=f"Slow statement: {why} over {int(calls):,} calls",
            object={"query_id": r["queryid"]},
            evidence={"calls": int(calls), "mean_ms": round(mean, 2), "max_ms": r.get("max_ms"),
                      "total_ms": round(r.get("total_ms") or 0, 1), "share_pct": round(share, 1),
                      "rows_per_call": r.get("rows_per_call"), "hit_ratio": r.get("hit_ratio"),
                      "mean_plan_ms": round((r.get("total_plan_ms") or 0) / calls, 3) if calls else None,
                      "role": r.get("role"), "query": short_query(r.get("query"), 400)},
            recommendation=f"{_explain_hint(r['queryid'])}, and `dbxray indexes` for an index that serves it.",
            sql=None,
        )


def _work_mem_for(temp_bytes_per_call: float) -> str:
    from dbxray.engines.postgres.checks.helpers import work_mem_for

    return work_mem_for(temp_bytes_per_call)


@check("temp_spill", "statements", engines=ENGINES, min_temp_mb_per_call=1.0, min_temp_mb_total=16.0, min_calls=1)
def temp_spill(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements that write temporary files: their sorts, hashes or materializations overflow work_mem.

    Why: every spill turns memory work into disk I/O, often 10x slower, and many concurrent
    spills fill the disk. Only statements that spill at least ``min_temp_mb_per_call`` per
    call and ``min_temp_mb_total`` overall are reported.
    Fix: give the role (or the one report) a larger work_mem, sized from the spill, or let
    an index provide the order so nothing is sorted.
    """
    for r in records(_ranked(snap)):
        calls = r.get("calls") or 0
        written = (r.get("temp_blks_written") or 0) * BLOCK
        if calls < t["min_calls"] or not written:
            continue
        per_call = written / calls
        if per_call < t["min_temp_mb_per_call"] * 1048576 or written < t["min_temp_mb_total"] * 1048576:
            continue
        current = snap.setting("work_mem")
        suggested = _work_mem_for(per_call)
        role = r.get("role")
        sql = (f"ALTER ROLE {pg_ident(role)} SET work_mem = {pg_literal(suggested)};" if role else None)
        yield Finding(
            check="temp_spill",
            severity="warning",
            title=f"Statement spills {human_bytes(per_call)} to temporary files per call",
            object={"query_id": r["queryid"], "role": role},
            evidence={"calls": int(calls), "temp_written_per_call": human_bytes(per_call),
                      "temp_bytes_written": int(written), "temp_blks_read": r.get("temp_blks_read"),
                      "mean_ms": round(r.get("mean_ms") or 0, 2),
                      "work_mem_kb": int(current) if current and str(current).isdigit() else current,
                      "query": short_query(r.get("query"), 400)},
            recommendation=(f"Its sorts/hashes need more than work_mem ({current} kB). Raise work_mem for the role "
                            f"that runs it (about {suggested} would keep this spill in memory; it is per sort node "
                            "and per connection, so scope it rather than raising it server-wide), or add an index "
                            "that returns rows already in the needed order. "
                            f"{_explain_hint(r['queryid'])}."),
            sql=sql,
        )


@lru_cache(maxsize=4096)
def _single_row_lookup(query: str) -> tuple[str, tuple[str, ...]] | None:
    """(table, equality columns) when the statement is ``SELECT … FROM t WHERE col = $n [AND …]``."""
    import pglast
    from pglast import ast

    try:
        stmts = pglast.parse_sql(query)
    except Exception:
        return None
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.SelectStmt):
        return None
    sel = stmts[0].stmt
    if sel.op != 0 or not sel.fromClause or len(sel.fromClause) != 1 or not isinstance(sel.fromClause[0], ast.RangeVar):
        return None
    if sel.groupClause or sel.limitOffset:
        return None
    quals = []
    stack = [sel.whereClause]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BoolExpr) and node.boolop == 0:  # AND
            stack.extend(node.args)
        elif isinstance(node, ast.A_Expr) and node.kind == 0 and node.name and node.name[0].sval == "=":
            sides = (node.lexpr, node.rexpr)
            col = next((s for s in sides if isinstance(s, ast.ColumnRef)), None)
            par = next((s for s in sides if isinstance(s, ast.ParamRef)), None)
            if col is None or par is None:
                return None
            quals.append(col.fields[-1].sval)
        else:
            return None
    if not quals:
        return None
    return sel.fromClause[0].relname, tuple(quals)


@check("n_plus_one", "statements", engines=ENGINES, min_calls=1000, max_rows_per_call=1.5, max_mean_ms=5.0,
       min_share_of_calls_pct=10.0)
def n_plus_one(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """A tiny single-row lookup run thousands of times: the signature of an N+1 query pattern.

    Why: the application fetches a list, then one row per item (``SELECT … WHERE id = $1``)
    in a loop. Each call is fast, but the round trips add up and scale with the data.
    Reported when such a lookup (one table, equality on parameters, at most
    ``max_rows_per_call`` rows, under ``max_mean_ms``) has at least ``min_calls`` calls and
    ``min_share_of_calls_pct`` of all statement calls. When another statement returned
    about as many rows in total as this one was called, it is named as the likely parent.
    Fix: fetch the rows in one statement (``WHERE id = ANY($1)``, a JOIN, or the ORM's eager
    loading).
    """
    df = _ranked(snap)
    if df.empty:
        return
    total_calls = float(df["calls"].sum()) or 1.0
    rows = list(records(df))
    for r in rows:
        calls = r.get("calls") or 0
        if calls < t["min_calls"] or (r.get("rows_per_call") or 0) > t["max_rows_per_call"]:
            continue
        if (r.get("mean_ms") or 0) > t["max_mean_ms"]:
            continue
        share = 100.0 * calls / total_calls
        if share < t["min_share_of_calls_pct"]:
            continue
        shape = _single_row_lookup(str(r.get("query") or ""))
        if not shape:
            continue
        table, cols = shape
        parent = None
        for p in rows:
            if p is r or not p.get("calls") or p["calls"] * 5 > calls:
                continue
            ratio = (p.get("rows") or 0) / calls
            if 0.5 <= ratio <= 2.0 and (parent is None or abs(1 - ratio) < abs(1 - parent[1])):
                parent = (p, ratio)
        evidence = {"calls": int(calls), "share_of_calls_pct": round(share, 1),
                    "rows_per_call": r.get("rows_per_call"), "mean_ms": round(r.get("mean_ms") or 0, 3),
                    "total_ms": round(r.get("total_ms") or 0, 1), "lookup": f"{table}({', '.join(cols)})",
                    "query": short_query(r.get("query"), 300)}
        advice = (f"{int(calls):,} separate lookups of {table} by {', '.join(cols)}. Load them in one statement "
                  f"(`WHERE {cols[0]} = ANY($1)` with an array of keys, or a JOIN from the statement that lists "
                  "them), or turn on eager loading in the ORM.")
        if parent:
            evidence["parent_query_id"] = str(parent[0]["queryid"])
            evidence["parent_rows"] = int(parent[0].get("rows") or 0)
            evidence["parent_query"] = short_query(parent[0].get("query"), 200)
            advice += f" Likely driven by statement {parent[0]['queryid']}, which returned about one row per lookup."
        yield Finding(
            check="n_plus_one",
            severity="warning",
            title=f"N+1 pattern: {int(calls):,} single-row lookups of {table}",
            object={"query_id": r["queryid"], "table": table, "columns": list(cols)},
            evidence=evidence,
            recommendation=advice,
            sql=None,
        )


@check("high_planning_time", "statements", engines=ENGINES, mean_plan_ms=10.0, min_calls=100, min_plan_share_pct=30.0)
def high_planning_time(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements that spend a large part of their time being planned.

    Why: planning is repeated on every call unless the statement is prepared; many
    partitions, joins or big IN lists can make it cost more than execution itself.
    Needs pg_stat_statements.track_planning = on (otherwise plan times are zero).
    Fix: use prepared statements (or a pooler mode that keeps them), prune partitions,
    lower join_collapse_limit for very wide joins.
    """
    for r in records(_ranked(snap)):
        plans = r.get("plans") or 0
        calls = r.get("calls") or 0
        if calls < t["min_calls"] or not plans:
            continue
        mean_plan = (r.get("total_plan_ms") or 0) / plans
        share = 100.0 * (r.get("total_plan_ms") or 0) / (r.get("total_ms") or 1)
        if mean_plan < t["mean_plan_ms"] or share < t["min_plan_share_pct"]:
            continue
        yield Finding(
            check="high_planning_time",
            severity="warning",
            title=f"Statement spends {share:.0f}% of its time planning ({mean_plan:,.1f} ms per plan)",
            object={"query_id": r["queryid"]},
            evidence={"plans": int(plans), "calls": int(calls), "mean_plan_ms": round(mean_plan, 2),
                      "plan_share_pct": round(share, 1), "query": short_query(r.get("query"), 300)},
            recommendation="Prepare the statement once and execute it many times, reduce the partitions it touches, "
                           "or simplify very wide joins.",
            sql=None,
        )


@check("full_table_scan", "statements", engines=ENGINES, min_rows=10000, max_index_scan_pct=95.0, min_seq_scans=50)
def full_table_scan(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Large tables read mostly by sequential scans.

    Why: on a table of ``min_rows`` or more, a workload where fewer than
    ``max_index_scan_pct`` of scans use an index (PgHero's rule) reads the whole table
    again and again; usually a missing index, sometimes an analytic job doing what it must.
    Fix: find the statements that scan it (``dbxray indexes``) and index their filters.
    """
    for r in records(snap["tables"]):
        rows = r.get("n_live_tup") or 0
        seq = r.get("seq_scan") or 0
        idx = r.get("idx_scan") or 0
        if rows < t["min_rows"] or seq < t["min_seq_scans"]:
            continue
        idx_pct = 100.0 * idx / (seq + idx)
        if idx_pct >= t["max_index_scan_pct"]:
            continue
        rows_per_scan = (r.get("seq_tup_read") or 0) / seq
        yield Finding(
            check="full_table_scan",
            severity="warning" if idx_pct < 50 else "info",
            title=f"{r['table']} ({int(rows):,} rows) is read by sequential scans {100 - idx_pct:.0f}% of the time",
            object={"schema": r["schema"], "table": r["table"]},
            evidence={"seq_scan": int(seq), "idx_scan": int(idx), "index_scan_pct": round(idx_pct, 1),
                      "seq_tup_read": r.get("seq_tup_read"), "rows_per_seq_scan": round(rows_per_scan),
                      "n_live_tup": int(rows), "size": human_bytes(r.get("total_bytes"))},
            recommendation=(f"Find the statements that scan {qualified(r['schema'], r['table'])} without an index "
                            "(`dbxray indexes` proposes and proves indexes for them)."),
            sql=None,
        )


__all__ = ["full_table_scan", "high_planning_time", "n_plus_one", "slow_query", "table_rows", "temp_spill"]
