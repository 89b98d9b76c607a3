"""Index checks only PostgreSQL has: duplicate, redundant, invalid and bloated indexes, unindexed foreign keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import (
    as_list,
    backs_constraint,
    drop_index_sql,
    human_bytes,
    pg_indexes,
    pg_indexes_by_table,
    qualified,
    records,
    table_rows,
)
from dbxray.engines.postgres.quoting import pg_ident
from dbxray.findings import Finding


def _same_shape(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a["schema"], a["table"], a["method"], a.get("predicate") or "") == \
           (b["schema"], b["table"], b["method"], b.get("predicate") or "")


def _keep_first(a: dict[str, Any], b: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the index to keep, the one to drop): constraint-backing and more-used indexes stay."""
    def rank(ix: dict[str, Any]) -> tuple:
        return (bool(ix.get("is_primary")), backs_constraint(ix), bool(ix.get("is_unique")),
                ix.get("idx_scan") or 0, -len(ix["index"]), ix["index"])

    return (a, b) if rank(a) >= rank(b) else (b, a)


@check("duplicate_index", "indexes", engines=ENGINES)
def duplicate_index(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Two indexes with the same method, key columns or expressions, opclasses, INCLUDE list and predicate.

    Why: the second copy doubles the write and vacuum cost and the space, and the planner
    can only ever use one of them. A plain index identical to a unique or primary-key
    index is a duplicate too (the unique one serves every lookup).
    Fix: drop the copy that enforces nothing; when both back constraints, drop the
    redundant constraint after checking what depends on it.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for ix in pg_indexes(snap):
        if not ix.get("is_valid"):
            continue
        key = (ix["schema"], ix["table"], ix["method"], tuple(ix["keys"]), tuple(ix["opclasses"]),
               tuple(ix["descending"]), tuple(ix["include_columns"]), ix.get("predicate") or "",
               ix.get("collations") or "")
        groups.setdefault(key, []).append(ix)
    for members in groups.values():
        if len(members) < 2:
            continue
        keep = members[0]
        for other in members[1:]:
            keep, _ = _keep_first(keep, other)
        for drop in members:
            if drop is keep:
                continue
            enforced = backs_constraint(drop) and (drop.get("constraint_name") or drop.get("is_primary"))
            if enforced:
                sql = None
                advice = (f"{drop['index']} backs constraint {drop.get('constraint_name')}, which duplicates "
                          f"{keep['index']}. Drop the redundant constraint with ALTER TABLE … DROP CONSTRAINT after "
                          "checking that no foreign key references it.")
            else:
                sql = drop_index_sql(drop)
                advice = f"Drop {drop['index']}: {keep['index']} is the same index and stays."
            yield Finding(
                check="duplicate_index",
                severity="warning",
                title=f"Index {drop['index']} duplicates {keep['index']} on {drop['table']}",
                object={"schema": drop["schema"], "table": drop["table"], "index": drop["index"],
                        "columns": drop["keys"]},
                evidence={"duplicate_of": keep["index"], "definition": drop["definition"],
                          "kept_definition": keep["definition"], "size_bytes": drop.get("index_bytes"),
                          "idx_scan": drop.get("idx_scan"), "kept_idx_scan": keep.get("idx_scan")},
                recommendation=advice,
                sql=sql,
            )


@check("redundant_index", "indexes", engines=ENGINES)
def redundant_index(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """A B-tree index whose keys are a leading prefix of another B-tree index on the same table.

    Why: a B-tree on (a, b) serves every lookup and ordering on (a) as well, so a separate
    index on (a) only costs writes, vacuum and space. Only the same access method, the same
    expressions, opclasses and sort directions on the shared prefix, and the same predicate
    count: a partial index is not made redundant by a full one, and a unique index enforces
    something the wider one does not.
    Fix: drop the narrower index (the undo is given).
    """
    for table_indexes in pg_indexes_by_table(snap).values():
        members = [ix for ix in table_indexes if ix.get("is_valid") and ix["method"] == "btree"]
        for narrow in members:
            if backs_constraint(narrow):
                continue
            n = len(narrow["keys"])
            for wide in members:
                if wide is narrow or len(wide["keys"]) <= n or not _same_shape(narrow, wide):
                    continue
                if wide["keys"][:n] != narrow["keys"] or wide["opclasses"][:n] != narrow["opclasses"]:
                    continue
                if wide["descending"][:n] != narrow["descending"] and \
                        [not d for d in wide["descending"][:n]] != narrow["descending"]:
                    continue
                wide_cover = set(wide["keys"]) | set(wide["include_columns"])
                if not set(narrow["include_columns"]) <= wide_cover:
                    continue
                yield Finding(
                    check="redundant_index",
                    severity="warning",
                    title=f"Index {narrow['index']} is a prefix of {wide['index']} on {narrow['table']}",
                    object={"schema": narrow["schema"], "table": narrow["table"], "index": narrow["index"],
                            "columns": narrow["keys"]},
                    evidence={"covered_by": wide["index"], "definition": narrow["definition"],
                              "covering_definition": wide["definition"], "size_bytes": narrow.get("index_bytes"),
                              "idx_scan": narrow.get("idx_scan")},
                    recommendation=(f"Drop {narrow['index']}: {wide['index']} starts with the same columns and "
                                    "serves the same lookups. Scans of the narrow index move to the wider one."),
                    sql=drop_index_sql(narrow),
                )
                break


@check("invalid_index", "indexes", engines=ENGINES)
def invalid_index(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Indexes marked invalid, usually left by a failed ``CREATE INDEX CONCURRENTLY``.

    Why: an invalid index is never used by queries but is still maintained on every write
    (when ready), so it is pure cost, and a failed unique build often hides duplicate data.
    Ignored while a ``CREATE INDEX CONCURRENTLY`` naming it is still running.
    Fix: rebuild it (``REINDEX INDEX CONCURRENTLY``) or drop it; a unique index that failed on
    duplicates needs the data fixed first.
    """
    building = " ".join(str(q).lower() for q in snap["activity"].get("query", []) if q)
    for ix in pg_indexes(snap):
        if ix.get("is_valid"):
            continue
        if "concurrently" in building and ix["index"].lower() in building:
            continue
        name = pg_ident(ix["schema"], ix["index"])
        unique_note = (" It is UNIQUE: if the build failed on duplicate keys, REINDEX fails again until they are "
                       "removed." if ix.get("is_unique") else "")
        yield Finding(
            check="invalid_index",
            severity="warning",
            title=f"Index {ix['index']} on {ix['table']} is invalid",
            object={"schema": ix["schema"], "table": ix["table"], "index": ix["index"], "columns": ix["keys"]},
            evidence={"is_valid": False, "is_ready": ix.get("is_ready"), "definition": ix["definition"],
                      "size_bytes": ix.get("index_bytes")},
            recommendation=("Queries never use an invalid index, yet writes may still maintain it. Rebuild it, or "
                            "drop it if it is not needed." + unique_note),
            sql=f"REINDEX INDEX CONCURRENTLY {name};\n-- or, if it is not needed: DROP INDEX CONCURRENTLY {name};",
        )


@check("missing_fk_index", "indexes", engines=ENGINES, min_rows=1000, warn_rows=10000)
def missing_fk_index(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Foreign keys whose referencing columns do not lead any valid, non-partial index.

    Why: every DELETE or key UPDATE on the referenced (parent) table has to find the child
    rows, and without an index that is a sequential scan of the child table per parent
    row, under lock; joins from parent to child suffer the same way.
    An index only counts when the foreign key's columns are its leading columns (in any
    order) and it has no predicate.
    Fix: ``CREATE INDEX CONCURRENTLY`` on the referencing columns.
    """
    tables = table_rows(snap)
    by_table = pg_indexes_by_table(snap)
    for fk in records(snap["foreign_keys"]):
        cols = as_list(fk["columns"])
        n = len(cols)
        same_table = [ix for ix in by_table.get((fk["schema"], fk["table"]), []) if ix.get("is_valid")]
        covering = [ix for ix in same_table if set(ix["columns"][:n]) == set(cols) and None not in ix["columns"][:n]]
        if any(not ix.get("predicate") for ix in covering):
            continue
        trow = tables.get((fk["schema"], fk["table"]), {})
        rows = trow.get("n_live_tup") or max(trow.get("reltuples") or 0, 0)
        if rows < t["min_rows"] and fk.get("relkind") != "p":
            continue
        partial = [ix["index"] for ix in covering]
        parent = tables.get((fk["ref_schema"], fk["ref_table"]), {})
        cascade = {"c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}.get(fk.get("on_delete"))
        severity = "warning" if rows >= t["warn_rows"] or (cascade and (parent.get("n_tup_del") or 0)) else "info"
        concurrently = "" if fk.get("relkind") == "p" else " CONCURRENTLY"
        col_sql = ", ".join(pg_ident(c) for c in cols)
        advice = (f"Each delete or key update on {fk['ref_table']} looks up {fk['table']}({', '.join(cols)}) "
                  f"without an index: a scan of {int(rows):,} rows per parent row.")
        if partial:
            advice += f" Only partial index(es) {', '.join(partial)} match, which cannot serve every lookup."
        if fk.get("relkind") == "p":
            advice += " The table is partitioned: CONCURRENTLY is not possible on the parent."
        yield Finding(
            check="missing_fk_index",
            severity=severity,
            title=f"Foreign key {fk['name']} on {fk['table']}({', '.join(cols)}) has no index",
            object={"schema": fk["schema"], "table": fk["table"], "columns": cols},
            evidence={"foreign_key": fk["name"], "references": f"{fk['ref_schema']}.{fk['ref_table']}",
                      "rows": int(rows), "on_delete": cascade or "NO ACTION/RESTRICT",
                      "parent_deletes": parent.get("n_tup_del"), "child_seq_scans": trow.get("seq_scan"),
                      "partial_indexes": partial or None},
            recommendation=advice,
            sql=f"CREATE INDEX{concurrently} ON {qualified(fk['schema'], fk['table'])} ({col_sql});",
        )


@check("index_bloat", "indexes", engines=ENGINES, min_bytes=10 * 1048576, bloat_pct=40.0, critical_pct=90.0)
def index_bloat(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """B-tree indexes much larger than their entries need, estimated from statistics (no scan).

    Why: after mass deletes or updates a B-tree keeps its half-empty pages; every index scan
    then reads more pages and the index takes more cache than it should. The estimate
    (ioguix's, as postgres-checkup F005) expects the default 90% fillfactor, so a freshly
    built index is not reported; partial and expression indexes are skipped because the
    estimator is known to be far off for them. It needs pg_stats: when this role cannot read
    it, the report says so instead of staying silent.
    Fix: ``REINDEX INDEX CONCURRENTLY`` rebuilds it online (it needs room for a second copy
    while it runs).
    """
    for r in records(snap["index_bloat"]):
        if r.get("estimate_unreliable"):
            continue
        real = r.get("real_bytes") or 0
        pct = r.get("bloat_pct") or 0.0
        if real < t["min_bytes"] or pct < t["bloat_pct"]:
            continue
        yield Finding(
            check="index_bloat",
            severity="critical" if pct >= t["critical_pct"] else "warning",
            title=f"Index {r['index']} on {r['table']} is about {pct:.0f}% bloat "
                  f"({human_bytes(r.get('bloat_bytes'))} of {human_bytes(real)})",
            object={"schema": r["schema"], "table": r["table"], "index": r["index"]},
            evidence={"real_bytes": int(real), "bloat_bytes": int(r.get("bloat_bytes") or 0),
                      "bloat_pct": round(pct, 1), "fillfactor": r.get("fillfactor"),
                      "reltuples": r.get("reltuples"), "estimate": "statistics (pg_stats), no scan"},
            recommendation=("Rebuild it online with REINDEX INDEX CONCURRENTLY (it builds a new copy, so it needs "
                            "that much free space while it runs, then swaps them). If it keeps bloating, look at "
                            "the delete/update pattern and at autovacuum on its table."),
            sql=f"REINDEX INDEX CONCURRENTLY {pg_ident(r['schema'], r['index'])};",
        )
