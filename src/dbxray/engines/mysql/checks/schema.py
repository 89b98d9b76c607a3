"""Schema checks for MySQL/MariaDB: tables without a primary key, AUTO_INCREMENT near its type's limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.helpers import human_bytes
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import foreign_keys, indexes_by_table, memo, records, setting, tables, truthy
from dbxray.engines.mysql.quoting import mysql_ident
from dbxray.findings import Finding


def _columns(snap: Any) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    from dbxray.engines.mysql.advisor.catalog import columns_by_table

    return columns_by_table(snap)


def _auto_increment_rows(snap: Any) -> list[dict[str, Any]]:
    """The tables that have an AUTO_INCREMENT column, with its type and limit (a handful of rows)."""
    cols = snap["columns"]
    if cols.empty or "ai_column" not in cols:
        return []
    return memo(cols, "auto_increment", lambda: records(cols[cols["ai_column"].notna()].reset_index(drop=True)))


def _auto_increment_tables(snap: Any) -> set[tuple[str, str]]:
    return {(r["schema"], r["table"]) for r in _auto_increment_rows(snap)}


@check("missing_primary_key", "schema", engines=ENGINES, min_rows=0)
def missing_primary_key(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Tables without a PRIMARY KEY.

    Why: InnoDB then clusters the rows on the first UNIQUE NOT NULL key, or on a hidden 6-byte
    row id shared by every such table in the server (a global mutex); row-based replication
    and Galera must find each changed row on the replica without a key, which can mean a
    full scan per row event (critical when ``wsrep_on``). Tools such as pt-online-schema-change
    and gh-ost need a key too.
    Fix: declare the existing UNIQUE NOT NULL key as the PRIMARY KEY, or add a surrogate key.
    """
    by_table = indexes_by_table(snap)
    galera = truthy(setting(snap, "wsrep_on"))
    for (schema, table), r in sorted(tables(snap).items()):
        if truthy(r.get("has_primary_key")):
            continue
        rows = r.get("rows_estimate") or 0
        if rows < t["min_rows"]:
            continue
        engine = r.get("engine")
        uniques = [ix for ix in by_table.get((schema, table), []) if ix["is_unique"] and ix["method"] == "BTREE"
                   and not any(ix["nullable"]) and None not in ix["columns"]
                   and all(s is None for s in ix["sub_parts"])]
        uniques.sort(key=lambda ix: (len(ix["columns"]), ix["index"].lower()))
        target = mysql_ident(schema, table)
        evidence = {"engine": engine, "rows_estimate": rows, "size": human_bytes(r.get("total_bytes")),
                    "galera": galera or None}
        if uniques:
            u = uniques[0]
            evidence["clustered_on"] = u["index"]
            col_list = ", ".join(mysql_ident(c) for c in u["columns"])
            yield Finding(
                check="missing_primary_key",
                severity="critical" if galera else "info",
                title=f"Table {table} has no PRIMARY KEY (InnoDB clusters it on UNIQUE {u['index']})",
                object={"schema": schema, "table": table, "columns": list(u["columns"])},
                evidence=evidence,
                recommendation=(f"{u['index']} is unique and NOT NULL, so InnoDB already uses it as the clustered "
                                "key; declare it as the PRIMARY KEY so replication, Galera and online schema "
                                "tools see it too."),
                sql=(f"ALTER TABLE {target} ADD PRIMARY KEY ({col_list}), DROP INDEX {mysql_ident(u['index'])};"),
            )
            continue
        existing = _columns(snap).get((schema, table), {})
        name = next(n for n in ("id", "row_id", "dbxray_id", "surrogate_id") if n not in existing)
        has_auto = (schema, table) in _auto_increment_tables(snap)
        sql = (f"ALTER TABLE {target} ADD COLUMN {mysql_ident(name)} BIGINT UNSIGNED NOT NULL AUTO_INCREMENT "
               "PRIMARY KEY FIRST;") if not has_auto else None
        yield Finding(
            check="missing_primary_key",
            severity="critical" if galera else "warning",
            title=f"Table {table} has no PRIMARY KEY and no UNIQUE NOT NULL key ({engine}, ~{int(rows):,} rows)",
            object={"schema": schema, "table": table},
            evidence=evidence,
            recommendation=("Add a primary key: InnoDB otherwise clusters the rows on a hidden row id shared by the "
                            "whole server, and every row event replicated from this table may scan it on the "
                            "replica. The ALTER rebuilds the table: run it off-peak or with pt-online-schema-change."
                            + ("" if sql else " It has an AUTO_INCREMENT column: make that the primary key.")),
            sql=sql,
        )


@check("sequence_exhaustion", "schema", engines=ENGINES, info_pct=50.0, warn_pct=75.0, critical_pct=90.0)
def sequence_exhaustion(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """AUTO_INCREMENT columns whose next value is close to the largest value of the column's type.

    Why: at the limit every INSERT fails (duplicate key on the maximum value, or "Failed to
    read auto-increment value"); the limit is the column type, signed or unsigned (TINYINT
    127/255 ... BIGINT), not a sequence setting.
    Fix: widen the column to BIGINT UNSIGNED (and every foreign key column that references
    it); the ALTER rebuilds the table, so plan it well before the critical band.
    """
    tabs = tables(snap)
    fks = foreign_keys(snap)
    for r in _auto_increment_rows(snap):
        if r.get("ai_max_value") is None:
            continue
        r = {**r, "column": r["ai_column"], "column_type": r.get("ai_column_type"),
             "data_type": r.get("ai_data_type"), "is_unsigned": r.get("ai_unsigned"),
             "is_nullable": r.get("ai_nullable"), "max_value": r["ai_max_value"]}
        key = (r["schema"], r["table"])
        nxt = tabs.get(key, {}).get("auto_increment")
        if nxt is None:
            continue
        limit = float(r["max_value"])
        used = max(float(nxt) - 1, 0.0)
        pct = 100.0 * used / limit
        if pct < t["info_pct"]:
            continue
        severity = "critical" if pct >= t["critical_pct"] else "warning" if pct >= t["warn_pct"] else "info"
        dtype = str(r.get("data_type") or "").lower()
        unsigned = truthy(r.get("is_unsigned"))
        referencing = [f"{fk['table']}.{fk['constraint']}" for fk in fks
                       if (fk.get("referenced_schema"), fk.get("referenced_table")) == key
                       and str(r["column"]).lower() in [str(c).lower() for c in fk["referenced_columns"]]]
        if dtype == "bigint" and unsigned:
            sql = None
            advice = "It is already BIGINT UNSIGNED: archive or renumber rows, or move to a wider key."
        else:
            not_null = "" if truthy(r.get("is_nullable")) else " NOT NULL"
            sql = (f"ALTER TABLE {mysql_ident(r['schema'], r['table'])} MODIFY {mysql_ident(r['column'])} "
                   f"BIGINT UNSIGNED{not_null} AUTO_INCREMENT;")
            advice = (f"Widen {r['column']} to BIGINT UNSIGNED before it runs out; the ALTER copies the table "
                      "(use pt-online-schema-change or gh-ost on a busy table).")
            if referencing:
                advice += f" Change the referencing foreign-key columns too: {', '.join(referencing)}."
        yield Finding(
            check="sequence_exhaustion",
            severity=severity,
            title=(f"AUTO_INCREMENT {r['table']}.{r['column']} ({r.get('column_type')}) has used {pct:.1f}% "
                   "of its range"),
            object={"schema": r["schema"], "table": r["table"], "columns": [r["column"]], "sequence": r["column"]},
            evidence={"next_value": int(nxt), "max_value": int(limit), "used_pct": round(pct, 2),
                      "column_type": r.get("column_type"), "unsigned": unsigned,
                      "remaining": int(limit - used), "referenced_by": referencing or None},
            recommendation=advice,
            sql=sql,
        )


__all__ = ["missing_primary_key", "sequence_exhaustion"]
