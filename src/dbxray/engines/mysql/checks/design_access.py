"""Schema-design checks for MySQL / MariaDB, the access side: what the hot statements read (very wide
rows, SELECT *, JSON filters without a fitting index) and what the writes pay for (over-indexing).
The column-and-key side is ``design``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.design_rules import (
    pct,
    window_text,
)
from dbxray.checks.helpers import human_bytes, short_query
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.design import _columns, _table_io
from dbxray.engines.mysql.checks.helpers import (
    foreign_keys,
    indexes_by_table,
    records,
    tables,
)
from dbxray.engines.mysql.design.workload import fill_json_paths, top
from dbxray.engines.mysql.quoting import mysql_ident
from dbxray.findings import Finding
from dbxray.report.interval_frames import window

LARGE_TYPES = {"text", "mediumtext", "longtext", "blob", "mediumblob", "longblob", "json"}

# -- wide rows and SELECT * ---------------------------------------------------------------------------------

@check("wide_row_reads", "schema_design", engines=ENGINES, wide_row_bytes=1000, max_used_pct=25.0, min_share_pct=5.0,
       warn_share_pct=20.0, min_rows_examined=100, min_table_bytes=10485760, max_statements=200)
def wide_row_reads(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Hot digests that examine many rows of a table with very wide rows but use few of its columns.

    Why: InnoDB reads whole rows from the clustered index: with rows of ``wide_row_bytes`` or more
    (AVG_ROW_LENGTH), a statement using ``max_used_pct`` of the columns or fewer still pulls every byte
    through the buffer pool. Digests with ``min_share_pct`` of statement time (warning from
    ``warn_share_pct``) examining ``min_rows_examined`` rows or more per call, on tables of
    ``min_table_bytes`` or more; ``SELECT *`` is ``select_star_wide``'s.
    Fix: a covering secondary index (the filter columns, then the columns read: InnoDB secondary indexes
    carry the primary key), or a vertical split of the wide, rarely read columns.
    """
    tabs = tables(snap)
    for wd in top(snap, t["max_statements"]):
        if wd.kind != "select" or wd.share_pct < t["min_share_pct"] or not wd.calls:
            continue
        examined = wd.rows_examined / wd.calls
        if examined < t["min_rows_examined"]:
            continue
        for key in sorted(wd.tables - wd.star):
            tab = tabs.get(key) or {}
            width = float(tab.get("avg_row_bytes") or 0)
            if width < t["wide_row_bytes"] or float(tab.get("data_bytes") or 0) < t["min_table_bytes"]:
                continue
            cols = _columns(snap).get(key, {})
            used = sorted(wd.used.get(key, set()))
            if not used or not cols or pct(len(used), len(cols)) > t["max_used_pct"]:
                continue
            filters = wd.filters.get(key, [])
            rest = [c for c in used if c not in filters]
            parts = [*filters, *rest][:16]
            large = [c["column"] for c in cols.values() if str(c.get("data_type") or "").lower() in LARGE_TYPES
                     or (c.get("max_length") or 0) >= 1000]
            yield Finding(
                check="wide_row_reads",
                severity="warning" if wd.share_pct >= t["warn_share_pct"] else "info",
                title=f"Statement examines {examined:,.0f} {key[1]} rows of ~{width:,.0f} bytes per call for "
                      f"{len(used)} of {len(cols)} columns",
                object={"schema": key[0], "table": key[1], "columns": used, "query_id": wd.queryid},
                evidence={"avg_row_bytes": round(width), "columns_used": used, "columns_total": len(cols),
                          "rows_examined_per_call": round(examined), "share_pct": round(wd.share_pct, 1),
                          "calls": int(wd.calls), "wide_columns": large[:10], "query": short_query(wd.query, 300)},
                recommendation=(f"Each {key[1]} row averages {width:,.0f} bytes but the statement reads "
                                f"{', '.join(used)}. A covering index lets InnoDB answer from the index alone; or "
                                f"move the wide, rarely read columns ({', '.join(large[:3]) or 'the large ones'}) to a "
                                "1:1 side table."),
                sql=(f"ALTER TABLE {mysql_ident(*key)} ADD INDEX "
                     f"({', '.join(mysql_ident(c) for c in parts)});  -- covering; online (ALGORITHM=INPLACE)"
                     if not any(c in large for c in parts) else None),
            )


@check("select_star_wide", "schema_design", engines=ENGINES, wide_row_bytes=1000, min_table_bytes=10485760,
       min_share_pct=1.0, warn_share_pct=5.0, min_rows_per_call=10.0, max_statements=50)
def select_star_wide(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """``SELECT *`` in the top digests (``max_statements``, ``min_share_pct`` of time each) on tables with
    large columns (TEXT, BLOB, JSON: stored off-page when long) or wide rows (``wide_row_bytes``), of
    ``min_table_bytes`` or more.

    Why: ``*`` reads every column, so each off-page TEXT/BLOB/JSON value is fetched from its overflow pages
    and sent to the client whether it is used or not; it also makes temporary tables go to disk (TEXT/BLOB
    in an internal temporary table) and rules out covering indexes. A warning when the digest takes
    ``warn_share_pct`` of statement time or returns ``min_rows_per_call`` rows or more per call; info for a
    one-row fetch of a small share.
    Fix: name the columns the caller uses, leaving the large ones out (``evidence.large_columns``).
    """
    tabs = tables(snap)
    for wd in top(snap, t["max_statements"]):
        if wd.kind != "select" or wd.share_pct < t["min_share_pct"] or not wd.star:
            continue
        for key in sorted(wd.star):
            tab = tabs.get(key) or {}
            cols = _columns(snap).get(key, {})
            large = [c["column"] for c in cols.values() if str(c.get("data_type") or "").lower() in LARGE_TYPES]
            width = float(tab.get("avg_row_bytes") or 0)
            if float(tab.get("data_bytes") or 0) < t["min_table_bytes"] or not (large or width >= t["wide_row_bytes"]):
                continue
            small = [c["column"] for c in cols.values() if c["column"] not in large]
            rewrite = f"SELECT {', '.join(mysql_ident(c) for c in small) or '…'} FROM {mysql_ident(key[1])} …"
            yield Finding(
                check="select_star_wide",
                severity="warning" if wd.share_pct >= t["warn_share_pct"] or wd.rows_per_call >= t["min_rows_per_call"]
                else "info",
                title=f"SELECT * on {key[1]} ({', '.join(large[:3]) or f'rows of ~{width:,.0f} bytes'}) in a top "
                      f"statement ({wd.share_pct:.1f}% of time)",
                object={"schema": key[0], "table": key[1], "query_id": wd.queryid},
                evidence={"large_columns": large, "avg_row_bytes": round(width), "data_bytes": tab.get("data_bytes"),
                          "calls": int(wd.calls), "share_pct": round(wd.share_pct, 1),
                          "rows_per_call": round(wd.rows_per_call, 1), "query": short_query(wd.query, 300),
                          "rewrite": rewrite},
                recommendation=(f"Name the columns the caller needs: every call also fetches "
                                f"{', '.join(large[:4]) or 'the wide columns'}. For example: {rewrite}"),
                sql=None,
            )


# -- JSON filters without a fitting index --------------------------------------------------------------------

def _norm(text: Any) -> str:
    """A JSON path expression in a comparable form: JSON_VALUE(doc, '$.k') and MySQL's
    json_unquote(json_extract(`doc`,_utf8mb4'$.k')) both become ``jvdoc,'$.k'``."""
    s = re.sub(r"_[a-z0-9]+'", "'", str(text or "").lower())
    s = re.sub(r"[\s`()]", "", s)
    return s.replace("json_unquote", "").replace("json_extract", "jv").replace("json_value", "jv")


def _served(snap: Any, j: Any) -> tuple[str, str] | None:
    """(name, "generated" | "functional"): an indexed generated column, or a MySQL 8 functional index, over
    the same column and path."""
    if not j.path:
        return None
    want = _norm(f"jv({j.column},'{j.path}')")
    indexed = {(ix["schema"], ix["table"], c) for ix in indexes_by_table(snap).get((j.schema, j.table), ())
               for c in ix["columns"][:1] if c}
    for g in records(snap["generated_columns"]):
        if (g["schema"], g["table"]) == (j.schema, j.table) and (g["schema"], g["table"], g["column"]) in indexed \
                and _norm(g.get("expression")) == want:
            return str(g["column"]), "generated"
    for ix in indexes_by_table(snap).get((j.schema, j.table), ()):
        for e in ix.get("expressions") or ():
            if e and j.column.lower() in str(e).lower() and j.path.lower() in str(e).lower():
                return str(ix["index"]), "functional"
    return None


@check("json_unindexed_filter", "schema_design", engines=ENGINES, min_rows=10000, min_share_pct=1.0, min_calls=50,
       max_statements=200, value_length=255)
def json_unindexed_filter(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """JSON documents filtered in hot digests (``min_share_pct`` of time or ``min_calls`` calls, tables of
    ``min_rows`` or more) by a value at a path — ``JSON_VALUE(doc, '$.k') = ?``,
    ``JSON_UNQUOTE(JSON_EXTRACT(doc, '$.k'))``, ``doc->>'$.k'`` — or with ``JSON_CONTAINS`` and its kin,
    with no index on that path.

    Why: no index can serve a function of a column: every call reads the whole table and parses every
    document. MySQL and MariaDB index a JSON path through a generated column (MySQL 8 also through a
    functional index, and arrays through a multi-valued index); MySQL's optimizer then uses it for the same
    expression, MariaDB only when the query names the generated column. Digests hide the path as ``?``:
    it comes from a statement sample when performance_schema kept one. Unproven (no hypothetical
    indexes here).
    Fix: the generated column and its index in ``sql`` (``value_length`` characters), and on MariaDB the
    filter rewritten on the new column.
    """
    tabs = tables(snap)
    mariadb = snap.meta.get("flavor") == "mariadb"
    found: dict[tuple, dict[str, Any]] = {}
    for wd in top(snap, t["max_statements"]):
        if not wd.json or (wd.share_pct < t["min_share_pct"] and wd.calls < t["min_calls"]):
            continue
        fill_json_paths(snap, wd)
        for j in wd.json:
            key = (j.schema, j.table)
            rows = float((tabs.get(key) or {}).get("rows_estimate") or 0)
            served = _served(snap, j)
            # MySQL's optimizer matches the expression to an indexed generated column; MariaDB's does not
            if rows < t["min_rows"] or (served and not (mariadb and served[1] == "generated")):
                continue
            ident = (key, j.column, j.kind, j.path)
            e = found.setdefault(ident, {"filter": j, "rows": rows, "statements": [], "calls": 0.0, "share": 0.0,
                                         "served": served})
            if wd.queryid not in [s["query_id"] for s in e["statements"]]:
                e["statements"].append({"query_id": wd.queryid, "calls": int(wd.calls),
                                        "share_pct": round(wd.share_pct, 2), "query": short_query(wd.query, 300)})
                e["calls"] += wd.calls
                e["share"] += wd.share_pct
    for (key, column, kind, path), e in sorted(found.items(), key=lambda kv: -kv[1]["share"]):
        j = e["filter"]
        target = mysql_ident(*key)
        sql = None
        if e["served"]:
            advice = (f"The path is already indexed through the generated column {e['served'][0]}, but MariaDB uses "
                      f"that index only when the query names the column: filter on {e['served'][0]} instead of "
                      f"{j.function}({column}, …).")
        elif kind == "path" and path:
            name = re.sub(r"\W+", "_", f"{column}_{path.lstrip('$.')}").strip("_")[:60] or f"{column}_path"
            expr = f"JSON_VALUE({mysql_ident(column)}, '{path}')" if mariadb else \
                f"JSON_UNQUOTE(JSON_EXTRACT({mysql_ident(column)}, '{path}'))"
            sql = (f"ALTER TABLE {target} ADD COLUMN {mysql_ident(name)} VARCHAR({int(t['value_length'])}) "
                   f"AS ({expr}) VIRTUAL, ADD INDEX {mysql_ident(name + '_idx')} ({mysql_ident(name)});")
            advice = (f"Index the path through a generated column: {name} AS ({expr}). "
                      + (f"MariaDB uses the index only when the query names the column: filter on {name} instead "
                         "of the JSON expression." if mariadb else
                         "MySQL's optimizer uses it for the same expression in the WHERE clause (write it exactly "
                         "as the column's expression)."))
        elif kind == "path":
            advice = ("The digest hides the JSON path as ?, and no statement sample holds it (samples need the "
                      "events_statements_current and events_statements_history consumers: UPDATE "
                      "performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME IN "
                      "('events_statements_current', 'events_statements_history')). Index that path through a "
                      "generated "
                      f"column: ALTER TABLE {target} ADD COLUMN … AS (JSON_VALUE({mysql_ident(column)}, '$.the_key')) "
                      "VIRTUAL, ADD INDEX (…).")
        else:
            advice = (f"{j.function} over {column} cannot use an index: "
                      + ("MariaDB has no index for JSON containment: move the searched values to a child table "
                         "(one row per value) with an index, or a generated column per searched path." if mariadb else
                         "on MySQL 8.0.17+ a multi-valued index serves JSON_CONTAINS / MEMBER OF on an array "
                         f"(ALTER TABLE {target} ADD INDEX ((CAST({mysql_ident(column)}->'$.path' AS CHAR(64) "
                         "ARRAY)))); otherwise a child table with one row per value."))
        heaviest = e["statements"][0]
        yield Finding(
            check="json_unindexed_filter",
            severity="warning",
            title=f"{key[1]}.{column} is filtered with {j.function} in {len(e['statements'])} statement(s) "
                  f"({e['share']:.1f}% of time) without an index on the path",
            object={"schema": key[0], "table": key[1], "columns": [column], "query_id": heaviest["query_id"]},
            evidence={"filter": j.text, "kind": kind, "function": j.function, "path": path,
                      "indexed_column_unused": e["served"][0] if e["served"] else None,
                      "path_from": "a statement sample" if path else None, "rows_estimate": int(e["rows"]),
                      "calls": int(e["calls"]), "share_pct": round(e["share"], 2), "statements": e["statements"][:5],
                      "proven": False, "proof": "not provable: MySQL and MariaDB have no hypothetical indexes"},
            recommendation=advice,
            sql=sql,
        )


# -- over-indexing ------------------------------------------------------------------------------------------

def _backs_fk(snap: Any, key: tuple[str, str], ix: dict[str, Any]) -> bool:
    """Does a foreign key of the table need this index (InnoDB wants one leading with its columns)?"""
    lead = [str(c).lower() for c in ix["columns"]]
    for fk in foreign_keys(snap):
        cols = [str(c).lower() for c in fk["columns"]]
        if (fk["schema"], fk["table"]) == key and lead[:len(cols)] == cols:
            return True
    return False


@check("over_indexing", "schema_design", engines=ENGINES, max_indexes=6, max_index_ratio=2.0, min_writes_per_s=1.0,
       min_write_read_ratio=1.0, max_reads_to_drop=0, min_observed_s=600.0)
def over_indexing(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Write-heavy InnoDB tables carrying many secondary indexes: ``max_indexes`` or more, or index bytes
    ``max_index_ratio`` times the data.

    Why: every INSERT and DELETE, and every UPDATE of an indexed column, changes every secondary index
    (change buffering only defers it); on a table written ``min_writes_per_s`` rows a second or more,
    with at least ``min_write_read_ratio`` rows written per row read (performance_schema table I/O,
    over the interval or since the server started: at least ``min_observed_s``), the indexes cost more
    than most reads gain. Warning when some non-unique secondary indexes were read ``max_reads_to_drop``
    times or fewer in that window; info when all are used.
    Fix: drop the unused ones (hide them first where the server can: MariaDB 10.6+ IGNORED, MySQL 8
    INVISIBLE), and merge overlapping ones.
    """
    from dbxray.engines.mysql.checks.helpers import drop_index_sql

    io, seconds, basis = _table_io(snap)
    if not seconds or seconds < t["min_observed_s"]:
        return
    usage_frame, _s, _b = window(snap, "index_usage", seconds)
    usage = {(r["schema"], r["table"], r.get("index")): float(r.get("reads") or 0) for r in records(usage_frame)}
    tabs = tables(snap)
    for key, ixs in sorted(indexes_by_table(snap).items()):
        secondary = [i for i in ixs if not i["is_primary"]]
        tab, r = tabs.get(key) or {}, io.get(key)
        if not secondary or r is None:
            continue
        data, index_bytes = float(tab.get("data_bytes") or 0), float(tab.get("index_bytes") or 0)
        if len(secondary) < t["max_indexes"] and not (data and index_bytes >= t["max_index_ratio"] * data):
            continue
        writes = float((r.get("inserts") or 0) + (r.get("updates") or 0) + (r.get("deletes") or 0))
        reads = float(r.get("fetches") or 0)
        if writes / seconds < t["min_writes_per_s"] or writes < t["min_write_read_ratio"] * reads:
            continue
        reads_by_index = {i["index"]: int(usage.get((key[0], key[1], i["index"]), 0)) for i in secondary}
        droppable = [i for i in secondary if not i["is_unique"] and i["method"] == "BTREE"
                     and reads_by_index[i["index"]] <= t["max_reads_to_drop"] and not _backs_fk(snap, key, i)]
        yield Finding(
            check="over_indexing",
            severity="warning" if droppable else "info",
            title=f"{key[1]} is written {writes / seconds:,.0f} rows/s and maintains {len(secondary)} secondary "
                  f"indexes ({human_bytes(index_bytes)}, {index_bytes / data if data else 0:.1f}x the data)",
            object={"schema": key[0], "table": key[1]},
            evidence={"secondary_indexes": len(secondary), "index_bytes": int(index_bytes), "data_bytes": int(data),
                      "writes": int(writes), "writes_per_s": round(writes / seconds, 2), "rows_read": int(reads),
                      "reads_per_index": reads_by_index, "unused": [i["index"] for i in droppable] or None,
                      "measured": window_text(seconds, basis)},
            recommendation=(f"Every write to {key[1]} maintains {len(secondary)} secondary indexes. "
                            + (f"Drop the ones the workload does not read ({', '.join(i['index'] for i in droppable)})"
                               ": hide them first and watch." if droppable else
                               "All are read: merge the overlapping ones and keep what the hot statements need.")),
            sql="\n".join(drop_index_sql(snap, i) for i in droppable) or None,
        )


__all__ = ["json_unindexed_filter", "over_indexing", "select_star_wide", "wide_row_reads"]
