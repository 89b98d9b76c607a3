"""Schema-design checks for PostgreSQL, the access side: what the hot statements read (very wide rows,
SELECT *, JSON filters without a fitting index) and what the writes pay for (over-indexing, updates that
cannot be HOT). The column-and-key side is ``design``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.design_rules import (
    pct,
    window_text,
)
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.design import _col, _row_width, _storage, _tables_window
from dbxray.engines.postgres.checks.helpers import (
    column as frame_column,
)
from dbxray.engines.postgres.checks.helpers import (
    human_bytes,
    memo,
    pg_indexes_by_table,
    qualified,
    records,
    short_query,
    table_rows,
)
from dbxray.engines.postgres.design.workload import columns_by_table, fill_json_keys, top
from dbxray.engines.postgres.quoting import pg_ident, pg_literal
from dbxray.findings import Finding
from dbxray.report.interval_frames import window

LARGE_TYPES = {"text", "jsonb", "json", "bytea", "xml", "tsvector"}  # the values that end up in TOAST

# -- wide rows and SELECT * ---------------------------------------------------------------------------------

def _statement_blocks(snap: Any, queryid: str) -> float | None:
    """Shared blocks (hit + read) per call of a statement, from pg_stat_statements."""
    from dbxray.report import summary as summ

    frame = snap["statements"]
    per = memo(frame, "design_blocks", lambda: {
        str(r["queryid"]): ((r.get("shared_blks_hit") or 0) + (r.get("shared_blks_read") or 0)) / r["calls"]
        for r in records(summ.statements(frame)) if r.get("calls")})
    return per.get(queryid)


@check("wide_row_reads", "schema_design", engines=ENGINES, wide_row_bytes=1000, max_used_pct=25.0, min_share_pct=5.0,
       warn_share_pct=20.0, min_blocks_per_call=100, min_table_bytes=10485760, max_statements=200)
def wide_row_reads(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Hot statements that read many pages of a table with very wide rows but use few of its columns.

    Why: a heap page holds whole rows; when rows average ``wide_row_bytes`` or more, a statement that
    needs ``max_used_pct`` of each row's bytes or less still reads all of them, so it does several times
    the I/O and cache its columns need. Reported for statements with ``min_share_pct`` of statement time
    (warning from ``warn_share_pct``) that read ``min_blocks_per_call`` pages or more per call, on tables
    of ``min_table_bytes`` or more; ``SELECT *`` is ``select_star_wide``'s.
    Fix: a covering index (``INCLUDE`` the columns read) so an index-only scan reads only them, or a
    vertical split: the wide, rarely read columns move to a 1:1 side table.
    """
    storage = _storage(snap)
    for ws in top(snap, t["max_statements"]):
        if ws.kind != "SelectStmt" or ws.parsed is None or ws.share_pct < t["min_share_pct"]:
            continue
        blocks = _statement_blocks(snap, ws.queryid)
        if blocks is None or blocks < t["min_blocks_per_call"]:
            continue
        for acc in ws.parsed.accesses:
            if acc.star:
                continue
            heap = float((storage.get(acc.key) or {}).get("heap_bytes") or 0)
            if heap < t["min_table_bytes"]:
                continue
            width, width_from = _row_width(snap, acc.key)
            if width is None or width < t["wide_row_bytes"]:
                continue
            used = sorted(acc.referenced | {u.column for u in acc.uses})
            widths = {c["column"]: c.get("avg_width") or 0 for c in columns_by_table(snap).get(acc.key, ())}
            used_width = float(sum(widths.get(c, 0) for c in used))
            share_used = pct(used_width, width)
            if not used or share_used > t["max_used_pct"]:
                continue
            filters = acc.columns("eq", "in", "range", "join") or acc.columns("sort")
            include = [c for c in used if c not in filters]
            target = qualified(*acc.key)
            if filters:
                inc = f" INCLUDE ({', '.join(pg_ident(c) for c in include)})" if include else ""
                sql = f"CREATE INDEX CONCURRENTLY ON {target} ({', '.join(pg_ident(c) for c in filters)}){inc};"
            else:
                sql = (f"CREATE INDEX CONCURRENTLY ON {target} ({', '.join(pg_ident(c) for c in used)});"
                       "  -- covering: an index-only scan reads these columns only")
            wide = sorted((c for c in widths if c not in used), key=lambda c: -widths[c])[:5]
            yield Finding(
                check="wide_row_reads",
                severity="warning" if ws.share_pct >= t["warn_share_pct"] else "info",
                title=f"Statement reads {acc.table} rows of ~{width:,.0f} bytes for {len(used)} column(s) "
                      f"(~{used_width:,.0f} bytes, {share_used:.0f}%)",
                object={"schema": acc.schema, "table": acc.table, "columns": used, "query_id": ws.queryid},
                evidence={"row_bytes": round(width), "row_bytes_from": width_from, "used_bytes": round(used_width),
                          "used_pct": round(share_used, 1), "blocks_per_call": round(blocks, 1),
                          "share_pct": round(ws.share_pct, 1), "calls": int(ws.calls), "table_bytes": int(heap),
                          "widest_unused_columns": {c: widths[c] for c in wide},
                          "query": short_query(ws.query, 300)},
                recommendation=(f"Each {acc.table} row averages {width:,.0f} bytes but this statement uses "
                                f"{', '.join(used)} ({share_used:.0f}% of them). A covering index lets an index-only "
                                "scan read just those columns (keep the table well vacuumed so the visibility map "
                                f"is current); or move the wide, rarely read columns ({', '.join(wide[:3])}) to a "
                                "1:1 side table."),
                sql=sql,
            )


@check("select_star_wide", "schema_design", engines=ENGINES, wide_row_bytes=1000, toast_pct=50.0,
       min_toast_bytes=10485760, min_table_bytes=10485760, min_share_pct=1.0, warn_share_pct=5.0,
       min_rows_per_call=10.0, max_statements=50)
def select_star_wide(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """``SELECT *`` in the top statements (``max_statements`` by time, ``min_share_pct`` each) on tables with
    very wide rows (``wide_row_bytes``, tables of ``min_table_bytes``) or TOAST-heavy ones (TOAST at least
    ``toast_pct`` of the table and ``min_toast_bytes``).

    Why: ``*`` fetches every column, so each large value stored out of line in TOAST is fetched and
    decompressed (several extra page reads per row) and sent over the network, whether the application
    shows it or not; it also defeats index-only scans and breaks when columns are added. A warning when
    the statement takes ``warn_share_pct`` of statement time or returns ``min_rows_per_call`` rows or more
    per call; info for a one-row fetch of a small share.
    Fix: name the columns the caller uses, leaving the large ones out (``evidence.large_columns``).
    """
    storage = _storage(snap)
    for ws in top(snap, t["max_statements"]):
        if ws.kind != "SelectStmt" or ws.parsed is None or ws.share_pct < t["min_share_pct"]:
            continue
        for acc in ws.parsed.accesses:
            if not acc.star:
                continue
            st = storage.get(acc.key) or {}
            heap, toast = float(st.get("heap_bytes") or 0), float(st.get("toast_bytes") or 0)
            toast_share = pct(toast, heap + toast)
            width, _ = _row_width(snap, acc.key)
            toast_heavy = toast >= t["min_toast_bytes"] and toast_share >= t["toast_pct"]
            wide = width is not None and width >= t["wide_row_bytes"] and heap >= t["min_table_bytes"]
            if not (toast_heavy or wide):
                continue
            cols = columns_by_table(snap).get(acc.key, [])
            large = [c["column"] for c in cols if c.get("base_type") in LARGE_TYPES or c.get("type_category") == "A"]
            small = [c["column"] for c in cols if c["column"] not in large]
            rewrite = f"SELECT {', '.join(pg_ident(c) for c in small) or '…'} FROM {qualified(*acc.key)} …"
            why = (f"{human_bytes(toast)} of its {human_bytes(heap + toast)} are TOAST ({toast_share:.0f}%)"
                   if toast_heavy else f"its rows average {width:,.0f} bytes")
            yield Finding(
                check="select_star_wide",
                severity="warning" if ws.share_pct >= t["warn_share_pct"] or ws.rows_per_call >= t["min_rows_per_call"]
                else "info",
                title=f"SELECT * on {acc.table}, whose {why}, in a top statement ({ws.share_pct:.1f}% of time)",
                object={"schema": acc.schema, "table": acc.table, "query_id": ws.queryid},
                evidence={"heap_bytes": int(heap), "toast_bytes": int(toast), "toast_pct": round(toast_share, 1),
                          "row_bytes": round(width) if width else None, "large_columns": large,
                          "calls": int(ws.calls), "share_pct": round(ws.share_pct, 1),
                          "rows_per_call": round(ws.rows_per_call, 1), "query": short_query(ws.query, 300),
                          "rewrite": rewrite},
                recommendation=(f"Name the columns the caller needs instead of *: every call fetches "
                                f"{', '.join(large[:4]) or 'the wide columns'} too"
                                + (", decompressing their out-of-line TOAST values" if toast_heavy else "")
                                + f". For example: {rewrite}"),
                sql=None,
            )


# -- JSON filters without a fitting index --------------------------------------------------------------------

def _norm_expr(text: str) -> str:
    import re

    s = re.sub(r"::[a-z_ ]+(\[\])?", "", str(text).lower())
    return re.sub(r"[\s()\"]", "", s)


def json_candidate(j: Any, col_type: str) -> dict[str, Any]:
    """The index for one JSON filter: DDL (without CREATE INDEX … ON t), method, whether HypoPG can prove it."""
    c = pg_ident(j.column)
    if j.kind == "path" and j.key is not None:
        key = pg_literal(j.key) if j.op in ("->>", "->") else pg_literal(j.key) + "::text[]"
        expr = f"({c} {j.op} {key})"
        if j.cast:
            expr = f"({expr}::{j.cast})"
        return {"using": f"({expr})", "method": "btree", "expression": expr, "provable": True,
                "serves": j.text}
    if col_type == "json":
        return {"using": None, "method": None, "provable": False,
                "why": "json (not jsonb) has no GIN operator class: convert the column to jsonb first"}
    if j.kind == "exists":
        return {"using": f"USING gin ({c})", "method": "gin", "opclass": "jsonb_ops", "provable": False}
    return {"using": f"USING gin ({c} jsonb_path_ops)", "method": "gin", "opclass": "jsonb_path_ops",
            "provable": False}


def _served(j: Any, cand: dict[str, Any], indexes: list[Any]) -> str | None:
    """The existing index that already serves this filter, if any."""
    for ix in indexes:
        if not ix.get("is_valid") or ix.get("predicate"):
            continue
        method = ix.get("method")
        cols = list(ix.get("columns") or ())
        opclasses = list(ix.get("opclasses") or ())
        if j.kind == "path" and cand.get("expression") and method == "btree" and ix.get("expressions"):
            first = (ix.get("keys") or [""])[0]
            if _norm_expr(first) == _norm_expr(cand["expression"]):
                return ix["index"]
        if j.kind in ("containment", "jsonpath", "exists") and method == "gin" and cols[:1] == [j.column]:
            if j.kind == "exists" and opclasses[:1] == ["jsonb_path_ops"]:
                continue
            return ix["index"]
    return None


@check("json_unindexed_filter", "schema_design", engines=ENGINES, min_rows=10000, min_share_pct=1.0, min_calls=50,
       max_statements=200)
def json_unindexed_filter(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """JSON / JSONB columns filtered in hot statements without an index that fits the filter.

    What counts: ``col ->> 'k' = $1`` (and ``->``, ``#>>``, with a cast: ``(col ->> 'n')::int > $1``) needs
    a B-tree on exactly that expression; ``col @> $1``, ``@?``, ``@@`` need a GIN index on the column
    (``jsonb_path_ops``, smaller and faster for containment); ``col ? $1`` / ``?|`` / ``?&`` need GIN with the
    default ``jsonb_ops``. A plain index on the column serves none of them. Statements with
    ``min_share_pct`` of statement time or ``min_calls`` calls, on tables of ``min_rows`` rows or more.
    pg_stat_statements replaces the key with ``$n``: the key comes from a session's last run of the
    same query id (``statement_samples``), else the advice is GIN with the filter rewritten as
    containment. ``dbxray report`` proves expression B-trees with HypoPG (plan cost before and after);
    HypoPG cannot simulate GIN, so GIN advice stays unproven.
    Fix: the CREATE INDEX CONCURRENTLY in ``sql``.
    """
    rows = table_rows(snap)
    by_table = pg_indexes_by_table(snap)
    found: dict[tuple, dict[str, Any]] = {}
    for ws in top(snap, t["max_statements"]):
        if not ws.json or (ws.share_pct < t["min_share_pct"] and ws.calls < t["min_calls"]):
            continue
        fill_json_keys(snap, ws)
        for j in ws.json:
            key = (j.schema, j.table)
            col = _col(snap, key, j.column)
            if col.get("base_type") not in ("json", "jsonb"):
                continue
            n = (rows.get(key) or {}).get("n_live_tup") or 0
            if n < t["min_rows"]:
                continue
            cand = json_candidate(j, col["base_type"])
            if _served(j, cand, by_table.get(key, [])):
                continue
            ident = (key, j.column, j.kind, cand.get("using") or j.text)
            entry = found.setdefault(ident, {"filter": j, "cand": cand, "rows": n, "statements": [], "calls": 0.0,
                                             "share": 0.0})
            if ws.queryid not in [s["query_id"] for s in entry["statements"]]:
                entry["statements"].append({"query_id": ws.queryid, "calls": int(ws.calls),
                                            "share_pct": round(ws.share_pct, 2), "query": short_query(ws.query, 300),
                                            "param": j.key_param, "filter": j.text})
                entry["calls"] += ws.calls
                entry["share"] += ws.share_pct
    for (key, column, _k, _u), e in sorted(found.items(), key=lambda kv: -kv[1]["share"]):
        j, cand = e["filter"], e["cand"]
        target = qualified(*key)
        if cand.get("using") is None:
            sql, advice = None, cand["why"]
        elif j.kind == "path" and j.key is None:
            sql = f"CREATE INDEX CONCURRENTLY ON {target} {cand['using']};"
            advice = (f"The statements filter {column} by a key that pg_stat_statements hides as a parameter "
                      f"({j.text}). Either index that exact expression once the key is known "
                      f"(CREATE INDEX CONCURRENTLY ON {target} (({pg_ident(column)} ->> 'the_key'))), or rewrite the "
                      f"filter as containment ({pg_ident(column)} @> jsonb_build_object('the_key', $1)) and use the "
                      "GIN index below, which serves any key.")
        else:
            sql = f"CREATE INDEX CONCURRENTLY ON {target} {cand['using']};"
            advice = (f"No index serves {j.text}: " + ("a B-tree on exactly this expression lets the planner "
                      "look the rows up (write the filter exactly as indexed)" if cand["method"] == "btree" else
                      f"a GIN index ({cand.get('opclass')}) serves {j.op} on any key") + ".")
        heaviest = e["statements"][0]
        yield Finding(
            check="json_unindexed_filter",
            severity="warning",
            title=f"{key[1]}.{column} is filtered with {j.op} in {len(e['statements'])} statement(s) "
                  f"({e['share']:.1f}% of time) without a fitting index",
            object={"schema": key[0], "table": key[1], "columns": [column], "query_id": heaviest["query_id"]},
            evidence={"filter": j.text, "kind": j.kind, "key": j.key, "key_from": (
                          "statement text" if j.key is not None and all(s["param"] is None for s in e["statements"])
                          else "a session's sample" if j.key is not None else None),
                      "method": cand.get("method"), "expression": cand.get("expression"), "rows": int(e["rows"]),
                      "calls": int(e["calls"]), "share_pct": round(e["share"], 2), "statements": e["statements"][:5],
                      "proven": False,
                      "proof": ("dbxray report proves it with HypoPG (expression B-tree)" if cand.get("provable") else
                                "not provable with HypoPG (it cannot simulate GIN indexes)" if cand.get("method") ==
                                "gin" else None)},
            recommendation=advice,
            sql=sql,
        )


# -- over-indexing and HOT updates ---------------------------------------------------------------------------

def _index_window(snap: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    """{(schema, table, index): {"idx_scan": scans in the window}}: read column-wise, the only counter the
    checks take from the window (whole rows of 30,000 indexes would be 11 MB more at the checks' peak)."""
    frame, _s, _b = window(snap, "indexes", None)

    def build() -> dict[tuple[str, str, str], dict[str, Any]]:
        if frame.empty or "idx_scan" not in frame:
            return {}
        keys = zip(frame_column(frame, "schema"), frame_column(frame, "table"), frame_column(frame, "index"))
        return {key: {"idx_scan": scans} for key, scans in zip(keys, frame_column(frame, "idx_scan"))}

    return memo(frame, "design_index_window", build)


@check("over_indexing", "schema_design", engines=ENGINES, max_indexes=6, max_index_ratio=2.0, min_writes_per_s=1.0,
       min_write_read_ratio=1.0, max_scans_to_drop=0, min_observed_s=600.0)
def over_indexing(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Write-heavy tables carrying many indexes: ``max_indexes`` or more, or indexes ``max_index_ratio`` times
    the table's size.

    Why: every INSERT, every DELETE and every update that is not HOT writes one entry into every index
    (and WAL for each); on a table written ``min_writes_per_s`` rows a second or more, with at least
    ``min_write_read_ratio`` rows written per scan (write-heavy), the indexes cost more than most reads
    gain. The HOT-update share is in the evidence (``hot_update_blocked`` names indexes that prevent
    HOT). Measured over the interval or since the statistics reset (at least ``min_observed_s``).
    Warning when some non-constraint indexes were scanned ``max_scans_to_drop`` times or fewer in that
    window (the ones to drop first); info when every index is used (consolidate instead).
    Fix: drop the unused ones (``DROP INDEX CONCURRENTLY``, the undo beside it); merge overlapping ones.
    """
    tabs, seconds, basis = _tables_window(snap)
    if not seconds or seconds < t["min_observed_s"]:
        return
    idx_window = _index_window(snap)
    for key, ixs in sorted(pg_indexes_by_table(snap).items()):
        valid = [ix for ix in ixs if ix.get("is_valid")]
        r = tabs.get(key)
        if not valid or r is None:
            continue
        table_bytes = float(r.get("table_bytes") or 0)
        index_bytes = float(sum(ix.get("index_bytes") or 0 for ix in valid))
        many = len(valid) >= t["max_indexes"]
        heavy = table_bytes > 0 and index_bytes >= t["max_index_ratio"] * table_bytes
        if not (many or heavy):
            continue
        writes = float((r.get("n_tup_ins") or 0) + (r.get("n_tup_upd") or 0) + (r.get("n_tup_del") or 0))
        scans = float((r.get("seq_scan") or 0) + (r.get("idx_scan") or 0))
        per_s = writes / seconds
        if per_s < t["min_writes_per_s"] or writes < t["min_write_read_ratio"] * scans:
            continue
        usage = {ix["index"]: int((idx_window.get((key[0], key[1], ix["index"])) or ix).get("idx_scan") or 0)
                 for ix in valid}
        droppable = [ix for ix in valid if not ix.get("constraint_name") and not ix.get("is_primary")
                     and not ix.get("is_unique") and usage[ix["index"]] <= t["max_scans_to_drop"]]
        upd = float(r.get("n_tup_upd") or 0)
        hot = pct(float(r.get("n_tup_hot_upd") or 0), upd) if upd else None
        sql = "\n".join(f"DROP INDEX CONCURRENTLY {qualified(ix['schema'], ix['index'])};  -- undo: "
                        f"{ix.get('definition')}" for ix in droppable) or None
        yield Finding(
            check="over_indexing",
            severity="warning" if droppable else "info",
            title=f"{key[1]} is written {per_s:,.0f} rows/s and maintains {len(valid)} indexes "
                  f"({human_bytes(index_bytes)}, {index_bytes / table_bytes if table_bytes else 0:.1f}x the table)",
            object={"schema": key[0], "table": key[1]},
            evidence={"indexes": len(valid), "index_bytes": int(index_bytes), "table_bytes": int(table_bytes),
                      "writes": int(writes), "writes_per_s": round(per_s, 2), "scans": int(scans),
                      "hot_update_pct": round(hot, 1) if hot is not None else None,
                      "scans_per_index": usage, "unused": [ix["index"] for ix in droppable] or None,
                      "measured": window_text(seconds, basis)},
            recommendation=(f"Every write to {key[1]} maintains {len(valid)} indexes. "
                            + (f"Drop the ones the workload does not use ({', '.join(ix['index'] for ix in droppable)}"
                               "): fewer index writes, less WAL, more HOT updates." if droppable else
                               "All are used: look for ones that overlap (a leading-column prefix of another) and "
                               "merge them, and keep only what the hot statements need.")),
            sql=sql,
        )


def _updated_columns(snap: Any, key: tuple[str, str], max_statements: int) -> dict[str, float]:
    cols: dict[str, float] = defaultdict(float)
    for ws in top(snap, max_statements):
        if ws.parsed is not None and ws.kind == "UpdateStmt" and ws.parsed.target == key:
            for c in ws.parsed.updated:
                cols[c] += ws.calls
    return dict(cols)


def _index_mentions(ix: Any, column: str) -> bool:
    import re

    if column in (ix.get("columns") or ()) or column in (ix.get("include_columns") or ()):
        return True
    word = re.compile(rf'(^|[^\w"]){re.escape(column)}($|[^\w"])|"{re.escape(column)}"')
    return any(word.search(str(part or "")) for part in (ix.get("expressions"), ix.get("predicate")))


@check("hot_update_blocked", "schema_design", engines=ENGINES, min_updates=1000, max_hot_pct=50.0,
       max_scans_per_update=0.1, max_statements=200)
def hot_update_blocked(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Tables whose updates are rarely HOT (``max_hot_pct`` or less of ``min_updates`` or more), and why.

    Why: a HOT (heap-only tuple) update writes the new row version on the same page and touches no
    index; it needs free space on the page and no indexed column changed. When an index covers a column
    the workload's UPDATEs set (from the statements' parse trees), every update writes every index:
    a warning when such an index is read less than ``max_scans_per_update`` times per update in the
    window (the writes cost more than the reads gain), info when every one is well used (the price of
    an index the reads need). When no index covers the updated columns, the pages are simply full
    (info: a lower fillfactor leaves room). Summarizing BRIN indexes do not block HOT from PostgreSQL 16.
    Fix: drop or redefine the index on the updated column when it is rarely used (or accept the cost);
    ``ALTER TABLE … SET (fillfactor = 90)`` for full pages (new pages only, until the table is rewritten).
    """
    tabs, seconds, basis = _tables_window(snap)
    storage = _storage(snap)
    for key, r in sorted(tabs.items()):
        upd = float(r.get("n_tup_upd") or 0)
        if upd < t["min_updates"]:
            continue
        hot = pct(float(r.get("n_tup_hot_upd") or 0), upd)
        if hot > t["max_hot_pct"]:
            continue
        updated = _updated_columns(snap, key, int(t["max_statements"]))
        blocking = []
        for ix in pg_indexes_by_table(snap).get(key, ()):
            if ix.get("method") == "brin" and snap.version_num >= 160000:
                continue
            hit = [c for c in updated if _index_mentions(ix, c)]
            if hit:
                blocking.append((ix, hit))
        fillfactor = int((storage.get(key) or {}).get("fillfactor") or 100)
        evidence = {"updates": int(upd), "hot_pct": round(hot, 1), "updated_columns": updated or None,
                    "fillfactor": fillfactor, "measured": window_text(seconds, basis)}
        target = qualified(*key)
        if blocking:
            idx_window = _index_window(snap)
            scans = {ix["index"]: int((idx_window.get((key[0], key[1], ix["index"])) or ix).get("idx_scan") or 0)
                     for ix, _ in blocking}
            evidence["blocking_indexes"] = {ix["index"]: cols for ix, cols in blocking}
            evidence["blocking_index_scans"] = scans
            droppable = [ix for ix, _ in blocking if not ix.get("constraint_name") and not ix.get("is_primary")
                         and scans[ix["index"]] < t["max_scans_per_update"] * upd]
            sql = "\n".join(f"-- if the workload can do without it:\nDROP INDEX CONCURRENTLY "
                            f"{qualified(ix['schema'], ix['index'])};  -- undo: {ix.get('definition')}"
                            for ix in droppable) or None
            names = ", ".join(f"{ix['index']} ({', '.join(cols)})" for ix, cols in blocking)
            yield Finding(
                check="hot_update_blocked",
                severity="warning" if droppable else "info",
                title=f"{key[1]}: {hot:.0f}% of {int(upd):,} updates are HOT; indexes on updated columns block the "
                      "rest",
                object={"schema": key[0], "table": key[1], "columns": sorted({c for _, cs in blocking for c in cs})},
                evidence=evidence,
                recommendation=(f"The UPDATEs set columns that {names} index, so every update writes a new entry in "
                                f"every index of {key[1]} instead of staying on the page. "
                                + (f"{', '.join(ix['index'] for ix in droppable)} "
                                   "is rarely read for what it costs on every update: drop it, or redefine it "
                                   "without the updated column." if droppable else
                                   "They are read often, so this is the price of indexes the reads need; a partial "
                                   "index (only the rows the reads look for) would be written less often.")),
                sql=sql,
            )
        elif fillfactor >= 100 and updated:
            yield Finding(
                check="hot_update_blocked",
                severity="info",
                title=f"{key[1]}: only {hot:.0f}% of {int(upd):,} updates are HOT: its pages are full",
                object={"schema": key[0], "table": key[1]},
                evidence=evidence,
                recommendation=("No index covers the updated columns, so updates could be HOT, but the pages have no "
                                "room for the new row version (fillfactor 100). A fillfactor of 90 leaves that room "
                                "on new pages; rewrite the table (pg_repack, or VACUUM FULL in a window) to apply it "
                                "to existing ones."),
                sql=f"ALTER TABLE {target} SET (fillfactor = 90);",
            )


__all__ = ["hot_update_blocked", "json_candidate", "json_unindexed_filter", "over_indexing", "select_star_wide",
           "wide_row_reads"]
