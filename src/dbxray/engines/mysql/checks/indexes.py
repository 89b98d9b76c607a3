"""Index checks only MySQL/MariaDB have: duplicate and redundant indexes, with InnoDB semantics.

InnoDB appends the clustered key (the PRIMARY KEY, else the first UNIQUE NOT NULL key) to
every secondary index, so a secondary index that ends with a prefix of the primary key
columns holds exactly what the shorter index would: that is the rule pt-duplicate-key-checker
calls a "clustered" duplicate. Key parts are compared structurally (column, prefix length,
direction, expression) from information_schema.STATISTICS, not as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.helpers import human_bytes
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import (
    display_columns,
    drop_index_sql,
    index_definition,
    index_reads,
    indexes_by_table,
    key_parts,
    memo,
    performance_schema_on,
    tables,
)
from dbxray.engines.mysql.quoting import mysql_ident
from dbxray.findings import Finding


def _family(ix: dict[str, Any]) -> str:
    return ix["method"]  # InnoDB reports USING HASH indexes as BTREE already


# -- redundancy model -------------------------------------------------------------------------------

def _implied_unique(ix: dict[str, Any], table_indexes: list[dict[str, Any]]) -> str | None:
    """Another unique key whose columns are a subset of this one's makes its uniqueness redundant."""
    if not ix["is_unique"] or ix["is_primary"]:
        return None
    mine = set(ix["columns"])
    for other in table_indexes:
        if other is ix or not other["is_unique"] or None in other["columns"]:
            continue
        if any(s is not None for s in other["sub_parts"]):
            continue
        if set(other["columns"]) < mine or (set(other["columns"]) == mine and other["is_primary"]):
            return other["index"]
    return None


def _covers(a: tuple, b: tuple) -> bool:
    """Key part ``b`` serves every lookup key part ``a`` does (same column and direction, b no shorter)."""
    col_a, sub_a, desc_a = a
    col_b, sub_b, desc_b = b
    if str(col_a).lower() != str(col_b).lower() or desc_a != desc_b:
        return False
    return sub_b is None or (sub_a is not None and sub_a <= sub_b)


def _relation(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """"exact" when ``a`` and ``b`` are the same index, "prefix" when ``b`` serves everything ``a`` does."""
    if _family(a) != _family(b):
        return None
    pa, pb = key_parts(a), key_parts(b)
    if a["method"] == "FULLTEXT":
        return "exact" if sorted(str(p[0]).lower() for p in pa) == sorted(str(p[0]).lower() for p in pb) else None
    if [(str(c).lower(), s, d) for c, s, d in pa] == [(str(c).lower(), s, d) for c, s, d in pb]:
        return "exact"
    if _family(a) != "BTREE" or len(pa) > len(pb):
        return None
    if all(_covers(x, y) for x, y in zip(pa, pb)):
        return "prefix"
    return None


def _lead(ix: dict[str, Any]) -> Any:
    if ix["method"] == "FULLTEXT":
        return ("FULLTEXT", tuple(sorted(str(c).lower() for c in ix["columns"])))
    parts = key_parts(ix)
    return (ix["method"], str(parts[0][0]).lower(), parts[0][2]) if parts else (ix["method"], None, None)


def _clustered_key(table_indexes: list[dict[str, Any]]) -> dict[str, Any] | None:
    primary = next((ix for ix in table_indexes if ix["is_primary"]), None)
    if primary:
        return primary
    uniques = [ix for ix in table_indexes if ix["is_unique"] and ix["method"] == "BTREE"
               and not any(ix["nullable"]) and None not in ix["columns"]]
    return sorted(uniques, key=lambda ix: ix["index"].lower())[0] if uniques else None


def _rank(ix: dict[str, Any], table_indexes: list[dict[str, Any]]) -> tuple:
    enforcing = ix["is_unique"] and not _implied_unique(ix, table_indexes)
    return (ix["is_primary"], enforcing)


def redundancies(snap: Any) -> list[dict[str, Any]]:
    """Every index that another index (or the clustered key) makes unnecessary, pt-duplicate-key-checker style.

    Each item: kind ("exact", "prefix", "clustered"), the index to drop, the index that covers
    it, and for "clustered" the shortened column list. Exact duplicates keep the primary,
    then a unique key that enforces something, then the alphabetically first name.
    """
    return memo(snap["indexes"], "redundancies", lambda: _redundancies(snap))


def _redundancies(snap: Any) -> list[dict[str, Any]]:
    tabs = tables(snap)
    out: list[dict[str, Any]] = []
    for (schema, table), ixs in sorted(indexes_by_table(snap).items()):
        ixs = sorted(ixs, key=lambda ix: ix["index"].lower())
        dropped: set[str] = set()
        # only indexes that lead with the same key part (FULLTEXT: the same column set) can relate
        groups: dict[Any, list[dict[str, Any]]] = {}
        for ix in ixs:
            groups.setdefault(_lead(ix), []).append(ix)
        for a in ixs:
            if a["is_primary"]:
                continue
            best = None
            for b in groups[_lead(a)]:
                if b is a or b["index"] in dropped:
                    continue
                rel = _relation(a, b)
                if rel is None:
                    continue
                ra, rb = _rank(a, ixs), _rank(b, ixs)
                if rel == "exact":
                    keep_b = rb > ra or (rb == ra and b["index"].lower() < a["index"].lower())
                    if not keep_b:
                        continue
                elif ra[1]:  # a unique key on fewer columns enforces more: never "redundant"
                    continue
                if best is None or (rel == "exact" and best[0] != "exact") or \
                        (rel == best[0] and len(b["columns"]) > len(best[1]["columns"])):
                    best = (rel, b)
            if best:
                dropped.add(a["index"])
                out.append({"kind": best[0], "index": a, "covered_by": best[1], "schema": schema, "table": table,
                            "implied_by": _implied_unique(a, ixs)})
        engine = str(tabs.get((schema, table), {}).get("engine") or "").lower()
        clustered = _clustered_key(ixs) if engine == "innodb" else None
        if clustered is None:
            continue
        pk_cols = [str(c).lower() for c in clustered["columns"]]
        for ix in ixs:
            if ix is clustered or ix["index"] in dropped or ix["method"] != "BTREE" or None in ix["columns"]:
                continue
            if ix["is_unique"] and not _implied_unique(ix, ixs):
                continue
            cols = [str(c).lower() for c in ix["columns"]]
            for k in range(min(len(pk_cols), len(cols) - 1), 0, -1):
                if cols[-k:] == pk_cols[:k] and all(s is None for s in ix["sub_parts"][-k:]):
                    short = ix["columns"][:-k]
                    out.append({"kind": "clustered", "index": ix, "covered_by": clustered, "schema": schema,
                                "table": table, "shortened": short, "suffix": ix["columns"][-k:],
                                "implied_by": _implied_unique(ix, ixs)})
                    break
    return out


def _usage(snap: Any, ix: dict[str, Any]) -> float | None:
    row = index_reads(snap).get((ix["schema"], ix["table"], ix["index"]))
    return row["io_count"] if row else None


def _object(ix: dict[str, Any]) -> dict[str, Any]:
    return {"schema": ix["schema"], "table": ix["table"], "index": ix["index"], "columns": display_columns(ix)}


def _redundancy_evidence(snap: Any, item: dict[str, Any]) -> dict[str, Any]:
    ix, other = item["index"], item["covered_by"]
    ev = {"index_columns": display_columns(ix), "covered_by": other["index"],
          "covered_by_columns": display_columns(other),
          "index_size": human_bytes(ix.get("index_bytes")) if ix.get("index_bytes") else None,
          "index_bytes": ix.get("index_bytes")}
    if performance_schema_on(snap) and not snap["index_usage"].empty:
        ev["io_since_startup"] = _usage(snap, ix)
        ev["covered_by_io_since_startup"] = _usage(snap, other)
    if item.get("implied_by"):
        ev["uniqueness_implied_by"] = item["implied_by"]
    return ev


@check("duplicate_index", "indexes", engines=ENGINES)
def duplicate_index(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Two indexes with the same key parts (column, prefix length, direction) and the same type.

    Why: the copy doubles the write cost and the space and the optimizer only ever uses one.
    A plain (or redundantly unique) index identical to a PRIMARY or enforcing UNIQUE key is
    the one to drop; among equals the alphabetically first name is kept. FULLTEXT indexes
    compare their columns as a set (pt-duplicate-key-checker's rule).
    Fix: drop the copy; on MariaDB 10.6+ / MySQL 8 hide it first (IGNORED / INVISIBLE).
    """
    for item in redundancies(snap):
        if item["kind"] != "exact":
            continue
        ix, other = item["index"], item["covered_by"]
        yield Finding(
            check="duplicate_index",
            severity="warning",
            title=f"Index {ix['index']} on {ix['table']} duplicates {other['index']} "
                  f"({', '.join(display_columns(ix))})",
            object=_object(ix),
            evidence=_redundancy_evidence(snap, item),
            recommendation=(f"{ix['index']} has exactly the key of {other['index']}: drop it. Every write maintains "
                            "both while reads can only use one."),
            sql=drop_index_sql(snap, ix),
        )


@check("redundant_index", "indexes", engines=ENGINES)
def redundant_index(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """An index that another serves completely: a left prefix of a longer B-tree index, or (InnoDB)
    a secondary index ending in the primary-key columns that InnoDB appends to every secondary index.

    Why: a left prefix (a) of (a, b) serves nothing (a, b) does not, unless it enforces
    uniqueness (a UNIQUE key on fewer columns is never called redundant). In InnoDB the
    secondary index (b, id) with PRIMARY KEY (id) stores the same entries, in the same order,
    as (b): the suffix only costs space (info: check no query relies on the declared order
    under a different engine). Prefix-length parts count as served by the full column.
    Fix: drop the prefix index; shorten the clustered-suffix one (DROP + ADD in one ALTER).
    """
    for item in redundancies(snap):
        ix, other = item["index"], item["covered_by"]
        target = mysql_ident(ix["schema"], ix["table"])
        if item["kind"] == "prefix":
            yield Finding(
                check="redundant_index",
                severity="warning",
                title=f"Index {ix['index']} ({', '.join(display_columns(ix))}) is a left prefix of {other['index']} "
                      f"({', '.join(display_columns(other))}) on {ix['table']}",
                object=_object(ix),
                evidence=_redundancy_evidence(snap, item),
                recommendation=(f"{other['index']} serves every lookup and range {ix['index']} does (its leading "
                                f"columns are the same): drop {ix['index']}."
                                + (f" Its uniqueness adds nothing: {item['implied_by']} already enforces it."
                                   if item.get("implied_by") else "")),
                sql=drop_index_sql(snap, ix),
            )
        elif item["kind"] == "clustered":
            short = item["shortened"]
            shortened = {**ix, "columns": short, "sub_parts": ix["sub_parts"][:len(short)],
                         "descending": ix["descending"][:len(short)], "expressions": [], "is_unique": False}
            undo = f"-- undo: ALTER TABLE {target} DROP INDEX {mysql_ident(ix['index'])}, {index_definition(ix)};"
            yield Finding(
                check="redundant_index",
                severity="info",
                title=f"Index {ix['index']} on {ix['table']} ends with the "
                      f"{'primary' if other['is_primary'] else 'clustered'} key column(s) "
                      f"{', '.join(item['suffix'])}: InnoDB already appends them",
                object=_object(ix),
                evidence={**_redundancy_evidence(snap, item), "shortened_columns": short,
                          "clustered_key_columns": other["columns"]},
                recommendation=(f"Every InnoDB secondary index ends with the clustered key ({other['index']}: "
                                f"{', '.join(other['columns'])}), so {ix['index']} stores the same entries as an "
                                f"index on ({', '.join(short)}). Shorten it to save space. The optimizer uses the "
                                "appended columns for lookups and ORDER BY (index extensions), so plans keep "
                                "working; re-run this check afterwards, a shortened key can duplicate another."
                                + (f" Its uniqueness adds nothing: {item['implied_by']} already enforces it."
                                   if item.get("implied_by") else "")),
                sql=(f"ALTER TABLE {target} DROP INDEX {mysql_ident(ix['index'])}, "
                     f"{index_definition(shortened)};\n{undo}"),
            )


__all__ = ["duplicate_index", "redundancies", "redundant_index"]
