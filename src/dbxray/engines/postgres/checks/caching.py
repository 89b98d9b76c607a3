"""What should never reach the database, and what memory would keep the rest in cache (PostgreSQL).

``cache_candidate``: statements called very often for a short answer from tables that rarely change — an
application cache (or a materialized view) serves them without the round trip. ``cache_hit_ratio``:
how often shared buffers had the page, the working set the workload touches, and the memory that would
take the hit ratio above the target.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.design_rules import Relation, pct, per_hour, round_up, volatile, window_text, working_set
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.design import _tables_window
from dbxray.engines.postgres.checks.helpers import human_bytes, setting_bytes, short_query
from dbxray.engines.postgres.checks.transactions_pattern import xact_window
from dbxray.engines.postgres.design.workload import top
from dbxray.engines.postgres.quoting import pg_ident
from dbxray.findings import Finding

AGGREGATES = {"count", "sum", "avg", "min", "max", "array_agg", "string_agg", "json_agg", "jsonb_agg", "bool_and",
              "bool_or", "percentile_cont", "percentile_disc", "stddev", "variance"}


def _shape(node: Any) -> tuple[bool, bool]:
    """(has parameters, aggregates) of a statement's parse tree."""
    from pglast import ast

    from dbxray.engines.postgres.guard import walk_ast

    params = agg = False
    for n in walk_ast(node):
        if isinstance(n, ast.ParamRef):
            params = True
        elif (isinstance(n, ast.FuncCall) and n.funcname and n.funcname[-1].sval in AGGREGATES) or \
                (isinstance(n, ast.SelectStmt) and n.groupClause):
            agg = True
    return params, agg


@check("cache_candidate", "caching", engines=ENGINES, min_calls=1000, max_rows_per_call=50.0, max_change_pct=1.0,
       min_share_pct=1.0, warn_share_pct=25.0, max_statements=200)
def cache_candidate(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Statements with very many calls, short answers, on tables that rarely change: caching candidates.

    What: a SELECT run ``min_calls`` times or more, returning ``max_rows_per_call`` rows or fewer, taking
    ``min_share_pct`` of statement time, whose tables changed (rows inserted, updated or deleted) at most
    ``max_change_pct`` times per 100 calls in the same window, and with nothing that changes its answer
    by itself (``now()``, ``random()``, ``FOR UPDATE``). A statement without parameters returns the same
    rows on every call until a table changes.
    Why: the database does the same work again and again for the same answer; a cache in the
    application (with a short TTL, or invalidated when those tables are written) removes the round trip
    and ``evidence.share_pct`` of all statement time. Info, or a warning from ``warn_share_pct``.
    Fix: an application cache; for an aggregate without parameters, a materialized view refreshed on a
    schedule (``sql``).
    """
    tabs, seconds, basis = _tables_window(snap)
    for ws in top(snap, t["max_statements"]):
        if ws.kind != "SelectStmt" or ws.parsed is None or not ws.parsed.accesses:
            continue
        if ws.calls < t["min_calls"] or ws.rows_per_call > t["max_rows_per_call"] or ws.share_pct < t["min_share_pct"]:
            continue
        if volatile(ws.query):
            continue
        changes: dict[str, Any] = {}
        ok = True
        for key in sorted(ws.parsed.tables()):
            r = tabs.get(key) or {}
            writes = float((r.get("n_tup_ins") or 0) + (r.get("n_tup_upd") or 0) + (r.get("n_tup_del") or 0))
            per_100 = 100.0 * writes / ws.calls
            if per_100 > t["max_change_pct"]:
                ok = False
                break
            changes[f"{key[0]}.{key[1]}"] = {"writes": int(writes), "writes_per_100_calls": round(per_100, 3),
                                             "writes_per_hour": round(per_hour(writes, seconds) or 0, 1)}
        if not ok:
            continue
        from dbxray.engines.postgres.advisor.parse import parse

        params, aggregate = _shape(parse(ws.query))
        names = ", ".join(k.split(".", 1)[1] for k in changes)
        sql = None
        if aggregate and not params:
            view = pg_ident(f"mv_{'_'.join(k.split('.', 1)[1] for k in changes)}"[:60])
            sql = (f"CREATE MATERIALIZED VIEW {view} AS\n{ws.query};\n"
                   f"-- then read {view} instead, and refresh it on a schedule (CONCURRENTLY needs a unique index):\n"
                   f"REFRESH MATERIALIZED VIEW {view};")
        how = ("the same answer on every call until a table changes" if not params else
               "short answers that change only when its tables do")
        yield Finding(
            check="cache_candidate",
            severity="warning" if ws.share_pct >= t["warn_share_pct"] else "info",
            title=f"Cache candidate: {int(ws.calls):,} calls ({ws.share_pct:.1f}% of statement time) read {names}, "
                  "which rarely change",
            object={"query_id": ws.queryid, "table": next(iter(ws.parsed.tables()))[1]
                    if len(ws.parsed.tables()) == 1 else None},
            evidence={"calls": int(ws.calls), "calls_per_s": round(ws.calls / seconds, 2) if seconds else None,
                      "rows_per_call": round(ws.rows_per_call, 2), "mean_ms": round(ws.mean_ms, 3),
                      "share_pct": round(ws.share_pct, 2), "total_ms": round(ws.total_ms, 1),
                      "identical_results": not params, "aggregate": aggregate, "table_changes": changes,
                      "measured": window_text(seconds, basis), "query": short_query(ws.query, 300)},
            recommendation=(f"This statement returns {how}: cache it in the application (a short TTL, or invalidate "
                            f"on writes to {names}) and {ws.share_pct:.1f}% of the database's statement time goes "
                            "away" + (", or serve it from a materialized view refreshed on a schedule" if sql else "")
                            + "."),
            sql=sql,
        )


@check("cache_hit_ratio", "caching", engines=ENGINES, min_hit_pct=99.0, min_blocks=100000, page_cache_ms=0.1)
def cache_hit_ratio(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Shared buffers' hit ratio below ``min_hit_pct`` (over ``min_blocks`` page requests or more), with the
    working set estimate and the memory that would bring the ratio above the target.

    Working set: the tables (with their indexes and TOAST) the workload requests pages of, densest first
    (requests per byte), until they take ``min_hit_pct`` of all requests — an upper bound, as only part of
    a big table may be hot. A read that misses shared buffers may still come from the operating system's
    page cache: with ``track_io_timing`` on, reads averaging under ``page_cache_ms`` are served from memory
    anyway (info). Warning when the working set is larger than shared_buffers and reads are slow (or their
    time unknown); info otherwise (cold start, a one-off scan).
    Fix: shared_buffers near the working set (a restart; up to ~25-40% of RAM, the OS cache holds the
    rest), or more RAM when the working set is beyond that.
    """
    row, seconds, basis = xact_window(snap)
    hits, reads = float(row.get("blks_hit") or 0), float(row.get("blks_read") or 0)
    total = hits + reads
    if total < t["min_blocks"]:
        return
    hit = pct(hits, total)
    if hit >= t["min_hit_pct"]:
        return
    tabs, _s, _b = _tables_window(snap)
    rels = []
    for key, r in tabs.items():
        acc = sum(float(r.get(c) or 0) for c in ("heap_blks_hit", "heap_blks_read", "idx_blks_hit", "idx_blks_read"))
        miss = float(r.get("heap_blks_read") or 0) + float(r.get("idx_blks_read") or 0)
        rels.append(Relation(f"{key[0]}.{key[1]}", acc, miss, float(r.get("total_bytes") or 0)))
    ws = working_set(rels, t["min_hit_pct"])
    sb = setting_bytes(snap, "shared_buffers")
    read_ms = float(row.get("blk_read_ms") or 0)
    avg_read = read_ms / reads if reads and read_ms > 0 else None
    fits = sb is not None and ws["bytes"] <= sb
    from_page_cache = avg_read is not None and avg_read < t["page_cache_ms"]
    severity = "warning" if ws["bytes"] and not fits and not from_page_cache else "info"
    target = round_up(ws["bytes"] * 1.1) if ws["bytes"] else None
    if fits:
        why = (f"the working set (~{human_bytes(ws['bytes'])}) fits in shared_buffers ({human_bytes(sb)}): the misses "
               "are first reads (a cold start, a one-off scan), not a lack of memory")
    elif from_page_cache:
        why = (f"reads average {avg_read:.3f} ms: the operating system's page cache serves them, so the data is in "
               "memory, just not in shared_buffers")
    else:
        why = (f"the working set (~{human_bytes(ws['bytes'])}) is larger than shared_buffers ({human_bytes(sb)})"
               + (f" and reads average {avg_read:.2f} ms" if avg_read is not None else ""))
    yield Finding(
        check="cache_hit_ratio",
        severity=severity,
        title=f"Shared buffers serve {hit:.2f}% of page requests: {why.split(':')[0]}",
        object={"setting": "shared_buffers"},
        evidence={"hit_pct": round(hit, 3), "blks_hit": int(hits), "blks_read": int(reads),
                  "avg_read_ms": round(avg_read, 4) if avg_read is not None else None,
                  "shared_buffers": int(sb) if sb else None, "working_set_bytes": int(ws["bytes"]),
                  "working_set": human_bytes(ws["bytes"]), "working_set_relations": ws["relations"][:20],
                  "covered_pct": ws["covered_pct"], "most_missed": ws["top_missing"],
                  "suggested_shared_buffers": human_bytes(target) if target else None,
                  "measured": window_text(seconds, basis)},
        recommendation=(f"{why.capitalize()}. "
                        + (f"About {human_bytes(target)} of shared_buffers would hold it (a restart); keep "
                           "shared_buffers within ~25-40% of RAM and let the OS cache hold the rest — if the working "
                           "set is beyond that, the server needs more RAM (or the hot statements need to read less)."
                           if severity == "warning" and target else "No memory change is needed for now.")),
        sql=(f"ALTER SYSTEM SET shared_buffers = '{target // 1048576}MB';  -- takes effect after a restart"
             if severity == "warning" and target else None),
    )


__all__ = ["cache_candidate", "cache_hit_ratio"]
