"""What should never reach the database, and what memory would keep the rest in cache (MySQL / MariaDB).

``cache_candidate``: digests called very often for a short answer from tables that rarely change (table
writes from performance_schema table I/O). ``cache_hit_ratio``: how often the InnoDB buffer pool had the
page, the working set the workload touches, and the buffer pool that would take the ratio above target.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.design_rules import Relation, pct, per_hour, round_up, volatile, window_text, working_set
from dbxray.checks.helpers import human_bytes, short_query
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.design import _table_io
from dbxray.engines.mysql.checks.helpers import records, setting_num, tables
from dbxray.engines.mysql.checks.transactions_pattern import status_window
from dbxray.engines.mysql.design.workload import top
from dbxray.findings import Finding


@check("cache_candidate", "caching", engines=ENGINES, min_calls=1000, max_rows_per_call=50.0, max_change_pct=1.0,
       min_share_pct=1.0, warn_share_pct=25.0, max_statements=200)
def cache_candidate(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Digests with very many calls, short answers, on tables that rarely change: caching candidates.

    What: a SELECT digest run ``min_calls`` times or more, returning ``max_rows_per_call`` rows or fewer,
    taking ``min_share_pct`` of statement time, whose tables had at most ``max_change_pct`` rows written
    per 100 calls in the same window (performance_schema table I/O), with nothing that changes its answer
    by itself (``NOW()``, ``RAND()``, ``FOR UPDATE``). A digest without ``?`` returns the same rows on every
    call until a table changes.
    Why: the server does the same work again and again for the same answer; an application cache (a
    short TTL, or invalidated on writes to those tables) removes the round trip and ``evidence.share_pct``
    of statement time. Info, or a warning from ``warn_share_pct``. (The query cache is no answer: removed
    in MySQL 8, and a global mutex in MariaDB.)
    Fix: an application cache; for an aggregate, a summary table refreshed by an event.
    """
    io, seconds, basis = _table_io(snap)
    for wd in top(snap, t["max_statements"]):
        if wd.kind != "select" or not wd.tables or wd.calls < t["min_calls"]:
            continue
        if wd.rows_per_call > t["max_rows_per_call"] or wd.share_pct < t["min_share_pct"] or volatile(wd.query):
            continue
        changes: dict[str, Any] = {}
        for key in sorted(wd.tables):
            r = io.get(key)
            if r is None:
                changes = {}
                break  # no table I/O for it: the write rate is unknown
            writes = float((r.get("inserts") or 0) + (r.get("updates") or 0) + (r.get("deletes") or 0))
            per_100 = 100.0 * writes / wd.calls
            if per_100 > t["max_change_pct"]:
                changes = {}
                break
            changes[f"{key[0]}.{key[1]}"] = {"writes": int(writes), "writes_per_100_calls": round(per_100, 3),
                                             "writes_per_hour": round(per_hour(writes, seconds) or 0, 1)}
        if not changes:
            continue
        names = ", ".join(k.split(".", 1)[1] for k in changes)
        how = ("the same answer on every call until a table changes" if not wd.params else
               "short answers that change only when its tables do")
        yield Finding(
            check="cache_candidate",
            severity="warning" if wd.share_pct >= t["warn_share_pct"] else "info",
            title=f"Cache candidate: {int(wd.calls):,} calls ({wd.share_pct:.1f}% of statement time) read {names}, "
                  "which rarely change",
            object={"query_id": wd.queryid, "schema": wd.schema,
                    "table": next(iter(wd.tables))[1] if len(wd.tables) == 1 else None},
            evidence={"calls": int(wd.calls), "calls_per_s": round(wd.calls / seconds, 2) if seconds else None,
                      "rows_per_call": round(wd.rows_per_call, 2), "mean_ms": round(wd.mean_ms, 3),
                      "share_pct": round(wd.share_pct, 2), "total_ms": round(wd.total_ms, 1),
                      "identical_results": not wd.params, "aggregate": wd.group_or_agg, "table_changes": changes,
                      "measured": window_text(seconds, basis), "query": short_query(wd.query, 300)},
            recommendation=(f"This statement returns {how}: cache it in the application (a short TTL, or invalidate "
                            f"on writes to {names}) and {wd.share_pct:.1f}% of the server's statement time goes away"
                            + ("; for an aggregate, a summary table refreshed by an event serves every reader"
                               if wd.group_or_agg else "") + "."),
            sql=None,
        )


@check("cache_hit_ratio", "caching", engines=ENGINES, min_hit_pct=99.0, min_requests=100000)
def cache_hit_ratio(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """The InnoDB buffer pool's hit ratio below ``min_hit_pct`` (over ``min_requests`` page requests or
    more), with the working set estimate and the buffer pool that would bring the ratio above target.

    Working set: the tables (data and indexes) the workload reads and writes rows of (performance_schema
    table I/O), densest first (rows per byte), until they take ``min_hit_pct`` of the row operations — an
    upper bound, as only part of a big table may be hot. Warning when the working set is larger than the
    buffer pool; info when it fits (the misses are first reads after a start, or a one-off scan). When the
    whole InnoDB data set is larger than the buffer pool, ``setting`` (innodb_buffer_pool_size) already
    warns: this finding is then info and adds the working set.
    Fix: innodb_buffer_pool_size near the working set (resizable online), within ~70-80% of a dedicated
    server's RAM; beyond that, more RAM or statements that read less.
    """
    values, seconds, basis = status_window(snap)
    requests = values.get("innodb_buffer_pool_read_requests", 0.0)
    reads = values.get("innodb_buffer_pool_reads", 0.0)
    if requests < t["min_requests"]:
        return
    hit = 100.0 - pct(reads, requests)
    if hit >= t["min_hit_pct"]:
        return
    io, _s, _b = _table_io(snap)
    tabs = tables(snap)
    rels = []
    for key, r in io.items():
        ops = sum(float(r.get(c) or 0) for c in ("fetches", "inserts", "updates", "deletes"))
        rels.append(Relation(f"{key[0]}.{key[1]}", ops, 0.0, float((tabs.get(key) or {}).get("total_bytes") or 0)))
    ws = working_set(rels, t["min_hit_pct"])
    bp = setting_num(snap, "innodb_buffer_pool_size")
    data_rows = records(snap["innodb_data"])
    data = float(data_rows[0].get("innodb_bytes") or 0) if data_rows else None
    setting_warns = bool(bp and data and bp < data)
    fits = bool(bp and ws["bytes"] and ws["bytes"] <= bp)
    severity = "warning" if ws["bytes"] and not fits and not setting_warns else "info"
    target = round_up(ws["bytes"] * 1.1) if ws["bytes"] else None
    why = (f"the working set (~{human_bytes(ws['bytes'])}) fits in the buffer pool ({human_bytes(bp)}): the misses are "
           "first reads, not a lack of memory" if fits else
           f"the working set (~{human_bytes(ws['bytes'])}) is larger than the buffer pool ({human_bytes(bp)})")
    yield Finding(
        check="cache_hit_ratio",
        severity=severity,
        title=f"The InnoDB buffer pool serves {hit:.2f}% of page requests: {why.split(':')[0]}",
        object={"setting": "innodb_buffer_pool_size"},
        evidence={"hit_pct": round(hit, 3), "read_requests": int(requests), "disk_reads": int(reads),
                  "buffer_pool": int(bp) if bp else None, "innodb_data_bytes": int(data) if data else None,
                  "working_set_bytes": int(ws["bytes"]), "working_set": human_bytes(ws["bytes"]),
                  "working_set_tables": ws["relations"][:20], "covered_pct": ws["covered_pct"],
                  "suggested_buffer_pool": human_bytes(target) if target else None,
                  "see_also": "setting:innodb_buffer_pool_size" if setting_warns else None,
                  "measured": window_text(seconds, basis)},
        recommendation=(f"{why[0].upper() + why[1:]}. "
                        + (f"About {human_bytes(target)} of buffer pool would hold it (an online resize); stay within "
                           "~70-80% of a dedicated server's RAM, or add RAM." if severity == "warning" and target
                           else "See the innodb_buffer_pool_size setting finding for the size." if setting_warns
                           else "No memory change is needed for now.")),
        sql=(f"SET GLOBAL innodb_buffer_pool_size = {target};  -- online resize; also set it in the config file"
             if severity == "warning" and target else None),
    )


__all__ = ["cache_candidate", "cache_hit_ratio"]
