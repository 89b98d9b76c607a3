"""Statement checks for MySQL/MariaDB: performance_schema digests, or mysql.slow_log when it is off.

Digest timers are picoseconds on the server; the collector converts them to ms. Every
finding names its source (``performance_schema`` or ``mysql.slow_log``) in its evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.helpers import human_bytes, short_query
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import PS_SOURCE, per_call, records, setting_num, statements
from dbxray.findings import Finding
from dbxray.report import summary as summ


def _ranked(snap: Any) -> tuple[Any, str | None]:
    frame, source = statements(snap)
    return summ.statements(frame), source


def _tmp_size_sql(snap: Any) -> tuple[str | None, str]:
    tmp = setting_num(snap, "tmp_table_size")
    heap = setting_num(snap, "max_heap_table_size")
    if tmp is None or heap is None:
        return None, "unknown"
    limit = min(tmp, heap)
    target = int(max(limit * 4, 64 * 1048576))
    sql = (f"SET SESSION tmp_table_size = {target}; SET SESSION max_heap_table_size = {target};"
           "  -- for the session that runs it; SET GLOBAL (and the config file) for everyone")
    return sql, human_bytes(limit)


@check("temp_spill", "statements", engines=ENGINES, min_calls=1, min_disk_tmp_pct=10.0, min_merge_passes_per_call=1.0)
def temp_spill(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements whose temporary tables go to disk, or whose sorts need merge passes.

    Why: an in-memory temporary table that outgrows min(tmp_table_size, max_heap_table_size),
    or holds TEXT/BLOB columns, is rewritten to disk (Aria/InnoDB) and every row is written
    and read again; a sort that needs merge passes overflowed sort_buffer_size. Reported when
    at least ``min_disk_tmp_pct`` of calls create a disk table, or sorts average
    ``min_merge_passes_per_call`` merge passes per call (the server does not count the bytes).
    Source: performance_schema only (the slow log table records neither).
    Fix: select fewer/narrower columns (no TEXT in GROUP BY/DISTINCT/ORDER BY), an index that
    delivers rows in the needed order, or larger tmp_table_size / sort_buffer_size for that session.
    """
    df, source = _ranked(snap)
    if source != PS_SOURCE:
        return
    tmp_sql, tmp_limit = _tmp_size_sql(snap)
    sort_buffer = setting_num(snap, "sort_buffer_size")
    for r in records(df):
        calls = float(r.get("calls") or 0)
        if calls < t["min_calls"]:
            continue
        disk = float(r.get("tmp_disk_tables") or 0)
        merges = float(r.get("sort_merge_passes") or 0)
        disk_pct = 100.0 * disk / calls
        merges_per_call = merges / calls
        spills_tmp = disk > 0 and disk_pct >= t["min_disk_tmp_pct"]
        spills_sort = merges > 0 and merges_per_call >= t["min_merge_passes_per_call"]
        if not (spills_tmp or spills_sort):
            continue
        what = []
        if spills_tmp:
            what.append(f"{disk_pct:.0f}% of calls create an on-disk temporary table")
        if spills_sort:
            what.append(f"sorts need {merges_per_call:.1f} merge passes per call")
        advice = []
        sql = None
        if spills_tmp:
            advice.append(f"In-memory temporary tables are limited to min(tmp_table_size, max_heap_table_size) = "
                          f"{tmp_limit} and cannot hold TEXT/BLOB values (before MySQL 8.0.13): select fewer or "
                          "narrower columns, or let an index provide the grouping/order")
            sql = tmp_sql
        if spills_sort:
            target = int(max((sort_buffer or 262144) * 4, 2 * 1048576))
            advice.append(f"the sort overflows sort_buffer_size ({human_bytes(sort_buffer)}): an index on the ORDER "
                          f"BY columns avoids the sort, or raise sort_buffer_size for that session only")
            sort_sql = f"SET SESSION sort_buffer_size = {target};  -- only for the session that runs it"
            sql = f"{sql}\n{sort_sql}" if sql else sort_sql
        yield Finding(
            check="temp_spill",
            severity="warning",
            title="Statement spills to disk: " + "; ".join(what),
            object={"query_id": r["queryid"], "schema": r.get("schema")},
            evidence={"calls": int(calls), "tmp_tables": r.get("tmp_tables"), "tmp_disk_tables": int(disk),
                      "disk_tmp_pct": round(disk_pct, 1), "sort_merge_passes": int(merges),
                      "sort_rows": r.get("sort_rows"), "mean_ms": round(r.get("mean_ms") or 0, 2),
                      "tmp_table_limit": tmp_limit, "sort_buffer_size": sort_buffer, "source": source,
                      "query": short_query(r.get("query"), 400)},
            recommendation="; ".join(advice) + ".",
            sql=sql,
        )


def _tables_of(query: str, snap: Any, schema: str | None) -> list[str]:
    from dbxray.engines.mysql.advisor.catalog import columns_by_table
    from dbxray.engines.mysql.advisor.parse import parse_statement

    parsed = parse_statement(query, columns_by_table(snap), schema or snap.database or "")
    return sorted({t for (_s, t) in parsed.accesses}) if parsed else []


@check("full_table_scan", "statements", engines=ENGINES, min_rows=10000, max_index_scan_pct=95.0,
       min_seq_scans=50, min_examined_ratio=10.0)
def full_table_scan(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements that read whole tables: no index used, many rows examined per call.

    Why: a digest whose executions used no index (``no_index_used``) at least
    ``min_seq_scans`` times, examining ``min_rows`` rows or more per call, reads the table
    again and again; when it examines ``min_examined_ratio`` rows or more per row it returns,
    an index would avoid most of that work (warning). A statement that returns most of what
    it reads (an export, a report) is info. From the slow log (no index flags there) only
    the examined/returned ratio is used.
    Fix: the ``missing_index`` finding for the same statement gives the index; when there is
    none, the evidence says why no index can serve the predicate.
    """
    from dbxray.engines.mysql.advisor.candidates import find_candidates

    df, source = _ranked(snap)
    if df.empty:
        return
    advice = None
    for r in records(df):
        calls = float(r.get("calls") or 0)
        if not calls:
            continue
        no_index = float((r.get("no_index_used") or 0) + (r.get("no_good_index_used") or 0))
        examined = per_call(r, "rows_examined")
        returned = (float(r.get("rows") or 0) + float(r.get("rows_affected") or 0)) / calls
        ratio = examined / max(returned, 1.0)
        if source == PS_SOURCE:
            if no_index < t["min_seq_scans"] or 100.0 * no_index / calls < 100.0 - t["max_index_scan_pct"]:
                continue
        elif calls < t["min_seq_scans"] or ratio < t["min_examined_ratio"]:
            continue
        if examined < t["min_rows"]:
            continue
        query = str(r.get("query") or "")
        if not query.upper().lstrip().startswith(("SELECT", "UPDATE", "DELETE", "WITH", "(")):
            continue
        if advice is None:
            advice = find_candidates(snap)
        served = [c for c in advice.candidates if any(s.get("query_id") == r["queryid"] for s in c.statements)]
        reasons = sorted({s["reason"] for s in advice.skipped if s.get("query_id") == r["queryid"]})
        tables = _tables_of(query, snap, r.get("schema"))
        if served:
            c = served[0]
            fix = (f"An index on {c.table}({', '.join(c.columns)}) would serve it: see the missing_index finding.")
            sql = None
        elif reasons:
            fix = "No index is suggested: " + "; ".join(reasons) + "."
            sql = None
        else:
            fix = "Look at its plan to see which predicate could use an index."
            sql = None
        yield Finding(
            check="full_table_scan",
            severity="warning" if ratio >= t["min_examined_ratio"] else "info",
            title=f"Statement reads {examined:,.0f} rows per call without an index"
                  + (f" on {', '.join(tables)}" if tables else "") + f" ({int(calls):,} calls)",
            object={"query_id": r["queryid"], "schema": r.get("schema"), "table": tables[0] if len(tables) == 1
                    else None},
            evidence={"calls": int(calls), "no_index_used": int(no_index) if source == PS_SOURCE else None,
                      "rows_examined_per_call": round(examined), "rows_returned_per_call": round(returned, 1),
                      "examined_per_returned": round(ratio, 1), "mean_ms": round(r.get("mean_ms") or 0, 2),
                      "total_ms": round(r.get("total_ms") or 0, 1), "tables": tables, "source": source,
                      "query": short_query(query, 400)},
            recommendation=fix,
            sql=sql,
        )


@check("missing_index", "indexes", engines=ENGINES, min_rows=5000, min_calls=10, min_examined_ratio=10.0,
       max_rows_per_value_pct=10.0, min_improvement=0.5)
def missing_index(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """An index that would turn repeated full scans into lookups (from the digests' own text).

    Why: digests that used no index and examine ``min_examined_ratio`` rows per row returned,
    on tables of ``min_rows`` or more, are parsed (sqlglot, MySQL dialect) into their
    equality / range / sort columns; equality columns come first, most selective first
    (information_schema cardinality, mysql.column_stats), then one range or sort column.
    Candidates an existing index already serves as its prefix are dropped, as are equality-only
    candidates that would still return ``max_rows_per_value_pct`` of the table per lookup, and those
    whose estimated cut of the rows read per call (rows per key value from the statistics against the
    rows the statement examines today) is below ``min_improvement`` (``--min-improvement``).
    How sure: not proven: MySQL and MariaDB have no hypothetical indexes. `dbxray indexes`
    adds the EXPLAIN of each statement as it runs today (the full scan).
    Fix: the ``ALTER TABLE ... ADD INDEX`` in ``sql`` (online on InnoDB).
    """
    from dbxray.engines.mysql.advisor.candidates import find_candidates
    from dbxray.engines.mysql.advisor.sql import finding_for

    advice = find_candidates(snap, thresholds=t)
    for cand in advice.candidates:
        yield finding_for(cand, snap, t)


__all__ = ["full_table_scan", "missing_index", "temp_spill"]
