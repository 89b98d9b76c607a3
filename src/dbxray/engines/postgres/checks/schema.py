"""Schema checks for PostgreSQL: tables without a primary key, sequences and keys running out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import TYPE_MAX, as_list, pg_indexes, qualified, records
from dbxray.engines.postgres.quoting import pg_ident
from dbxray.findings import Finding


@check("missing_primary_key", "schema", engines=ENGINES, min_rows=0)
def missing_primary_key(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Tables without a primary key.

    Why: without one, duplicate rows creep in, logical replication cannot replicate updates
    and deletes (no replica identity), and tools that need a row identity (pg_repack,
    CDC, ORMs) fail. Partitions are skipped: their parent decides. A table with a unique,
    non-partial index is still reported, as ``info``, with the one-line fix that promotes it.
    Fix: add a primary key; a new identity column rewrites the table, so plan the lock.
    """
    unique_ix: dict[tuple[str, str], dict[str, Any]] = {}
    for ix in pg_indexes(snap):
        if ix.get("is_unique") and ix.get("is_valid") and not ix.get("predicate") and not ix.get("expressions"):
            unique_ix.setdefault((ix["schema"], ix["table"]), ix)
    for r in records(snap["tables"]):
        if r.get("has_primary_key") or r.get("is_partition") or r.get("relkind") not in ("r", None):
            continue
        rows = r.get("n_live_tup") or 0
        if rows < t["min_rows"]:
            continue
        name = qualified(r["schema"], r["table"])
        uix = unique_ix.get((r["schema"], r["table"]))
        if uix:
            cols = as_list(uix.get("columns"))
            sql = (f"-- the columns must be NOT NULL first: ALTER TABLE {name} ALTER COLUMN … SET NOT NULL;\n"
                   f"ALTER TABLE {name} ADD PRIMARY KEY USING INDEX {pg_ident(uix['index'])};")
            advice = (f"Unique index {uix['index']} on ({', '.join(cols)}) already identifies rows: promote it to the "
                      "primary key (its columns must be NOT NULL).")
            severity = "info"
        else:
            sql = (f"ALTER TABLE {name} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;"
                   "  -- rewrites the table under an ACCESS EXCLUSIVE lock")
            advice = ("Add a primary key: a natural key if one exists, otherwise a bigint identity column (which "
                      "rewrites the table: do it in a maintenance window).")
            severity = "warning"
        yield Finding(
            check="missing_primary_key",
            severity=severity,
            title=f"Table {r['table']} has no primary key",
            object={"schema": r["schema"], "table": r["table"]},
            evidence={"n_live_tup": int(rows), "replica_identity": r.get("replica_identity"),
                      "unique_index": uix["index"] if uix else None},
            recommendation=advice,
            sql=sql,
        )


def _type_max(column_type: str | None) -> float | None:
    if not column_type:
        return None
    base = column_type.split("(")[0].strip()
    return TYPE_MAX.get(base)


@check("sequence_exhaustion", "schema", engines=ENGINES, info_pct=50.0, warn_pct=75.0, critical_pct=90.0)
def sequence_exhaustion(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Sequences, and the integer columns they feed, close to their maximum.

    Why: when a sequence or the column behind it runs out, every INSERT fails. The real
    limit is the smaller of the sequence's max_value and the maximum of the column type it
    feeds: an ``integer`` column fed by a ``bigint`` sequence fails at 2,147,483,647 even
    though the sequence could go on (the case monitoring that only compares a sequence with
    its own maximum misses). Descending sequences are measured towards their minimum.
    Fix: widen the column to bigint (a table rewrite) and the sequence with it.
    """
    for r in records(snap["sequences"]):
        last = r.get("last_value")
        if last is None:
            continue
        inc = r.get("increment_by") or 1
        col_max = _type_max(r.get("column_type"))
        if inc > 0:
            limits = [r.get("max_value")] + ([col_max] if col_max else [])
            limit = min(v for v in limits if v is not None)
            start = max(r.get("min_value") or 1, 0) if (r.get("min_value") or 1) > 0 else 0
            used = (last - start) / max(limit - start, 1)
        else:
            limits = [r.get("min_value")] + ([-col_max - 1] if col_max else [])
            limit = max(v for v in limits if v is not None)
            used = last / limit if limit else 0
        pct = 100.0 * used
        if pct < t["info_pct"]:
            continue
        seq_max = r.get("max_value") or float("inf")
        column_limited = bool(col_max) and col_max < seq_max
        column_bound = bool(col_max) and col_max <= seq_max  # the column fails no later than the sequence
        seq = qualified(r["schema"], r["sequence"])
        fixes = []
        if r.get("table") and r.get("column") and column_bound and r.get("column_type") != "bigint":
            fixes.append(f"ALTER TABLE {qualified(r['table_schema'], r['table'])} ALTER COLUMN "
                         f"{pg_ident(r['column'])} TYPE bigint;  -- rewrites the table under an ACCESS EXCLUSIVE lock")
        if r.get("sequence_type") != "bigint":
            fixes.append(f"ALTER SEQUENCE {seq} AS bigint;")
        if not fixes:
            fixes.append(f"-- {seq} is already bigint at its own max_value; raise it: ALTER SEQUENCE {seq} MAXVALUE …;")
        severity = "critical" if pct >= t["critical_pct"] else "warning" if pct >= t["warn_pct"] else "info"
        feeds = f"{r['table']}.{r['column']} ({r['column_type']})" if r.get("table") else None
        yield Finding(
            check="sequence_exhaustion",
            severity=severity,
            title=f"Sequence {r['sequence']} has used {pct:.1f}% of its range"
                  + (f" (limited by {feeds})" if column_limited else ""),
            object={"schema": r["schema"], "sequence": r["sequence"], "table": r.get("table"),
                    "columns": [r["column"]] if r.get("column") else None},
            evidence={"last_value": int(last), "limit": int(limit), "used_pct": round(pct, 2),
                      "values_left": int(abs(limit - last)), "sequence_type": r.get("sequence_type"),
                      "column_type": r.get("column_type"),
                      "limited_by": "column type" if column_limited else
                      "sequence and column type" if column_bound else "sequence max_value",
                      "cycle": r.get("cycle")},
            recommendation=("Widen before it runs out: every INSERT fails once it does."
                            + (" The column type, not the sequence, is the limit." if column_limited else "")
                            + (" The sequence CYCLEs: it will silently reuse old values instead of failing."
                               if r.get("cycle") else "")),
            sql="\n".join(fixes),
        )
