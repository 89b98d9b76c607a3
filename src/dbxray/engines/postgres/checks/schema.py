"""Schema checks only PostgreSQL has: tables without a primary key (and the unique index to promote)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import as_list, pg_indexes, qualified, records
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
