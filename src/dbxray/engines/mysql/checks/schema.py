"""Schema checks for MySQL/MariaDB: tables without a primary key, AUTO_INCREMENT near its type's limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.helpers import human_bytes
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import auto_increment_rows, indexes_by_table, setting, tables, truthy
from dbxray.engines.mysql.quoting import mysql_ident
from dbxray.findings import Finding


def _columns(snap: Any) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    from dbxray.engines.mysql.advisor.catalog import columns_by_table

    return columns_by_table(snap)


def _auto_increment_tables(snap: Any) -> set[tuple[str, str]]:
    return {(r["schema"], r["table"]) for r in auto_increment_rows(snap)}


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


__all__ = ["missing_primary_key"]
