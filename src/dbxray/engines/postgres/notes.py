"""What a PostgreSQL collection could not see (pg_stats hidden, other roles' queries, sequences)."""

from __future__ import annotations

from typing import Any


def postgres_notes(snap: Any) -> list[str]:
    notes = []
    server = snap["server"]
    if not server.empty:
        row = server.iloc[0]
        if row.get("analyzed_tables", 0) and row.get("tables_in_pg_stats", 0) == 0:
            notes.append(
                f"pg_stats shows nothing for the {int(row['analyzed_tables'])} analysed table(s): this role has no "
                "SELECT on their columns, so the bloat estimate and statistics-based index advice are "
                "unavailable (grant SELECT, or run as a role that has it)")
        elif row.get("analyzed_tables_without_select", 0):
            notes.append(
                f"{int(row['analyzed_tables_without_select'])} table(s) are hidden from pg_stats for lack of "
                "SELECT privilege: their bloat estimate and column statistics are missing")
        if not row.get("has_read_all_stats") and not row.get("is_superuser"):
            notes.append("this role lacks pg_read_all_stats (pg_monitor): other roles' query texts and "
                         "session details are hidden")
    stmts = snap["statements"]
    if not stmts.empty and "query" in stmts and (stmts["query"] == "<insufficient privilege>").any():
        hidden = int((stmts["query"] == "<insufficient privilege>").sum())
        notes.append(f"{hidden} statement(s) show <insufficient privilege> instead of their text")
    seqs = snap["sequences"]
    if not seqs.empty and "readable" in seqs and (~seqs["readable"].astype(bool)).any():
        n = int((~seqs["readable"].astype(bool)).sum())
        notes.append(f"{n} sequence(s) are unreadable by this role (no USAGE/SELECT): exhaustion not checked")
    for metric, size in (("tables", "total_bytes"), ("indexes", "index_bytes")):
        df = snap[metric]
        if not df.empty and "size_exact" in df and size in df:
            estimated = int((~df["size_exact"].astype(bool) & df[size].notna()).sum())
            if estimated:
                notes.append(f"sizes of {estimated} of {len(df)} {metric} are estimated from relpages (pages at "
                             "the last VACUUM/ANALYZE, grown by the rows counted since), the others are exact: "
                             f"exact sizes are read for the largest {metric} only on a catalog this big")
    return notes
