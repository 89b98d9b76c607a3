"""Statement checks only PostgreSQL has, from pg_stat_statements (or the interval between two snapshots):
spills to temporary files, planning time, tables read by sequential scans."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import explain_hint, human_bytes, qualified, records, short_query
from dbxray.engines.postgres.quoting import pg_ident, pg_literal
from dbxray.findings import Finding
from dbxray.report import summary as summ

BLOCK = 8192


def _ranked(snap: Any):
    return summ.statements(snap["statements"])


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
                            f"{explain_hint(r['queryid'])}."),
            sql=sql,
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


__all__ = ["full_table_scan", "high_planning_time", "temp_spill"]
