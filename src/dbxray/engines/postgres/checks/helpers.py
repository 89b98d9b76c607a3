"""Helpers shared by the PostgreSQL checks: pg_settings units, statistics age, index records."""

from __future__ import annotations

from typing import Any

from dbxray.checks.helpers import (  # noqa: F401  (re-exported for the checks)
    FieldRow,
    _missing,
    as_list,
    column,
    human_bytes,
    human_seconds,
    memo,
    records,
    row_type,
    short_query,
)
from dbxray.engines.postgres.quoting import pg_ident

TYPE_MAX = {
    "smallint": 32767,
    "integer": 2147483647,
    "bigint": 9223372036854775807,
}


def qualified(schema: str, table: str) -> str:
    return pg_ident(schema, table)


def stats_age(snap: Any) -> tuple[float | None, Any]:
    """(seconds the cumulative statistics have been collecting, their reset time or None)."""
    db = snap["database"]
    if db.empty:
        return None, None
    row = db.iloc[0]
    age = row.get("stats_age_s")
    reset = row.get("stats_reset")
    return (None if _missing(age) else float(age)), (None if _missing(reset) else reset)


def setting_value(snap: Any, name: str, default: Any = None) -> Any:
    return snap.setting(name, default)


def setting_bytes(snap: Any, name: str) -> float | None:
    """A memory setting in bytes (pg_settings gives a number and a unit such as 8kB or kB)."""
    df = snap["settings"]
    if df.empty:
        return None
    hit = df.loc[df["name"] == name]
    if hit.empty:
        return None
    row = hit.iloc[0]
    try:
        value = float(row["setting"])
    except (TypeError, ValueError):
        return None
    unit = row.get("unit") or ""
    factor = {"B": 1, "kB": 1024, "8kB": 8192, "MB": 1048576, "16MB": 16 * 1048576, "GB": 1073741824}.get(unit, 1)
    return value * factor


def table_rows(snap: Any) -> dict[tuple[str, str], dict[str, Any]]:
    frame = snap["tables"]
    return memo(frame, "table_rows", lambda: {(r["schema"], r["table"]): r for r in records(frame)})


INDEX_FIELDS = (
    "schema", "table", "index", "method", "is_unique", "is_primary", "is_exclusion", "is_valid", "is_ready",
    "is_replica_identity", "constraint_name", "columns", "keys", "include_columns", "opclasses", "descending",
    "collations", "predicate", "expressions", "definition", "idx_scan", "index_bytes", "last_idx_scan",
    "table_relkind",
)
_INDEX_LISTS = ("columns", "keys", "include_columns", "opclasses", "descending")


def pg_indexes(snap: Any) -> list[FieldRow]:
    """The indexes the checks need, as rows of the fields they read (lists as lists; ``ix["table"]``,
    ``ix.get("predicate")``): built once per snapshot and read-only. Only the needed fields, in
    tuple-sized rows: 30,000 indexes stay a few MB."""
    frame = snap["indexes"]

    def build() -> list[dict[str, Any]]:
        if frame.empty:
            return []
        fields = [f for f in INDEX_FIELDS if f in frame.columns]
        values = []
        for f in fields:
            col = frame[f]
            if f in _INDEX_LISTS:
                values.append([as_list(v) for v in col.tolist()])
            else:
                values.append(column(frame, f))
        row = row_type(fields)
        return [row(values_of_row) for values_of_row in zip(*values)]

    return memo(frame, "pg_indexes", build)


def pg_indexes_by_table(snap: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    frame = snap["indexes"]

    def build() -> dict[tuple[str, str], list[dict[str, Any]]]:
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for ix in pg_indexes(snap):
            out.setdefault((ix["schema"], ix["table"]), []).append(ix)
        return out

    return memo(frame, "pg_indexes_by_table", build)


def work_mem_for(spill_bytes: float) -> str:
    """A work_mem that keeps a spill of this size in memory: an in-memory sort needs 2.5-4.5x what it
    wrote to disk (measured on PostgreSQL 15), rounded up to a power of two, 8 MB to 2 GB."""
    import math

    need_mb = max(8, 2 ** math.ceil(math.log2(max(spill_bytes * 3 / 1048576, 1))))
    return f"{min(need_mb, 2048)}MB"


def client_sessions(snap: Any) -> list[dict[str, Any]]:
    """pg_stat_activity rows of client backends (not autovacuum, walsenders, background workers)."""
    frame = snap["activity"]
    return memo(frame, "client_sessions",
                lambda: [r for r in records(frame) if r.get("backend_type") == "client backend"])


def explain_hint(queryid: Any) -> str:
    return f"Run `dbxray explain --query-id {queryid}` to see where the time goes"


def backs_constraint(ix: dict[str, Any]) -> bool:
    """Primary key, unique, exclusion, constraint or replica identity: the index enforces something."""
    return bool(ix.get("is_primary") or ix.get("is_unique") or ix.get("is_exclusion") or ix.get("constraint_name")
                or ix.get("is_replica_identity"))


def _concurrent_definition(definition: str) -> str:
    """``CREATE [UNIQUE] INDEX name ON …`` -> the CONCURRENTLY form, for an undo that does not block writes."""
    for prefix in ("CREATE UNIQUE INDEX ", "CREATE INDEX "):
        if definition.startswith(prefix):
            return prefix + "CONCURRENTLY " + definition[len(prefix):]
    return definition


def drop_index_sql(ix: dict[str, Any]) -> str:
    """DROP INDEX CONCURRENTLY (plain DROP on a partitioned table) and the undo."""
    name = pg_ident(ix["schema"], ix["index"])
    if ix.get("table_relkind") == "p":  # DROP INDEX CONCURRENTLY is not possible on partitioned indexes
        drop = f"DROP INDEX {name};"
        undo = ix["definition"]
    else:
        drop = f"DROP INDEX CONCURRENTLY {name};"
        undo = _concurrent_definition(ix["definition"])
    return f"{drop}\n-- undo: {undo};"
