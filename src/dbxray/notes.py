"""Plain-language notes on what the collection could not see, so silence is never mistaken for health."""

from __future__ import annotations

from typing import Any


def capability_notes(snap: Any) -> list[str]:
    notes: list[str] = []
    for run in snap.collectors:
        if run.status == "error" and "permission denied" in run.detail:
            notes.append(f"{run.name}: not readable by this role ({run.detail})")
        elif run.status == "error":
            notes.append(f"{run.name}: collection failed ({run.detail})")
        elif run.status == "timeout":
            notes.append(f"{run.name}: {run.detail}; its checks had nothing to look at")
    if snap.engine == "postgres":
        notes.extend(_postgres_notes(snap))
    else:
        from dbxray.mysql_notes import mysql_notes

        notes.extend(mysql_notes(snap))
    return notes


def _postgres_notes(snap: Any) -> list[str]:
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
    for metric, size in (("tables", "total_bytes"), ("indexes", "index_bytes")):
        df = snap[metric]
        if not df.empty and "size_exact" in df and size in df:
            estimated = int((~df["size_exact"].astype(bool) & df[size].notna()).sum())
            if estimated:
                notes.append(f"sizes of {estimated} of {len(df)} {metric} are estimated from relpages (pages at "
                             "the last VACUUM/ANALYZE, grown by the rows counted since), the others are exact: "
                             f"exact sizes are read for the largest {metric} only on a catalog this big")
    stmts = snap["statements"]
    if not stmts.empty and "query" in stmts and (stmts["query"] == "<insufficient privilege>").any():
        hidden = int((stmts["query"] == "<insufficient privilege>").sum())
        notes.append(f"{hidden} statement(s) show <insufficient privilege> instead of their text")
    seqs = snap["sequences"]
    if not seqs.empty and "readable" in seqs and (~seqs["readable"].astype(bool)).any():
        n = int((~seqs["readable"].astype(bool)).sum())
        notes.append(f"{n} sequence(s) are unreadable by this role (no USAGE/SELECT): exhaustion not checked")
    return notes


def incomplete_reasons(snap: Any) -> list[str]:
    """Why the report is partial (the CLI exits non-zero for these): no statement statistics, or
    collectors cut off by the statement timeout (a CI gate must not pass on what was never checked)."""
    timed_out = [run.name for run in snap.collectors if run.status == "timeout"]
    reasons = [f"{len(timed_out)} collector(s) cut off by the statement timeout ({', '.join(timed_out)}): "
               "raise --statement-timeout or look at the server's load"] if timed_out else []
    if snap.has("statements"):
        return reasons
    run = snap.run_of("statements")
    if run is not None and run.status == "timeout":
        return reasons
    why = f" ({run.detail})" if run and run.detail else ""
    if snap.engine == "postgres":
        return [*reasons, f"pg_stat_statements is not available{why}: statement checks were skipped; "
                "see the extension_missing finding for how to enable it"]
    return [*reasons, f"no statement statistics{why}: statement checks were skipped; see the setting findings "
            "for how to enable performance_schema"]
