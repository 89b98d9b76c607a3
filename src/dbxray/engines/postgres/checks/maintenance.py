"""Maintenance checks for PostgreSQL: vacuum, analyze, bloat and transaction-ID wraparound."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import human_bytes, qualified, records
from dbxray.findings import Finding

XID_LIMIT = 2_147_483_647  # transaction IDs wrap at 2^31; the server stops accepting writes ~3M before


def _reloption(reloptions: str | None, name: str) -> str | None:
    m = re.search(rf"(?:^|,){re.escape(name)}=([^,]+)", reloptions or "")
    return m.group(1) if m else None


def _autovacuum_disabled(r: dict[str, Any]) -> bool:
    return (_reloption(r.get("reloptions"), "autovacuum_enabled") or "").lower() in ("false", "off", "0")


@check("vacuum_overdue", "maintenance", engines=ENGINES, min_dead_rows=10000, dead_pct=20.0, critical_dead_pct=50.0)
def vacuum_overdue(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Tables carrying many dead rows that (auto)vacuum has not cleaned.

    Why: dead rows make every scan read more pages, bloat the table and its indexes, and
    keep index-only scans from skipping the heap. At ``dead_pct`` of the rows
    (postgres-checkup F003 looks at tables past 10,000 rows) autovacuum is behind:
    disabled on the table, blocked by a long transaction, or throttled.
    Fix: VACUUM it now, then find out why autovacuum did not (per-table settings,
    long transactions, ``autovacuum_vacuum_cost_limit``).
    """
    globally_off = str(snap.setting("autovacuum", "on")).lower() == "off"
    for r in records(snap["tables"]):
        dead = r.get("n_dead_tup") or 0
        live = r.get("n_live_tup") or 0
        if dead < t["min_dead_rows"]:
            continue
        pct = 100.0 * dead / max(dead + live, 1)
        if pct < t["dead_pct"]:
            continue
        disabled = _autovacuum_disabled(r)
        name = qualified(r["schema"], r["table"])
        sql = f"VACUUM (ANALYZE, VERBOSE) {name};"
        advice = f"{pct:.0f}% of the rows of {r['table']} are dead. Vacuum it now."
        if disabled:
            sql = f"ALTER TABLE {name} RESET (autovacuum_enabled);\n" + sql
            advice += " Autovacuum is switched off for this table (autovacuum_enabled=false): turn it back on."
        elif globally_off:
            advice += " Autovacuum is off for the whole server: turn it on (autovacuum = on)."
        else:
            advice += (" Autovacuum is on but behind: look for long-open transactions holding the xmin horizon "
                       "and for a cost limit too low for this table's churn.")
        last = r.get("last_autovacuum") or r.get("last_vacuum")
        yield Finding(
            check="vacuum_overdue",
            severity="critical" if pct >= t["critical_dead_pct"] else "warning",
            title=f"{r['table']}: {int(dead):,} dead rows ({pct:.0f}%) waiting for vacuum",
            object={"schema": r["schema"], "table": r["table"]},
            evidence={"n_dead_tup": int(dead), "n_live_tup": int(live), "dead_pct": round(pct, 1),
                      "last_vacuum": r.get("last_vacuum"), "last_autovacuum": r.get("last_autovacuum"),
                      "never_vacuumed": last is None, "autovacuum_enabled": not disabled and not globally_off,
                      "size": human_bytes(r.get("table_bytes"))},
            recommendation=advice,
            sql=sql,
        )


@check("analyze_overdue", "maintenance", engines=ENGINES, min_rows=1000, min_modified=10000, modified_pct=20.0)
def analyze_overdue(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Tables whose planner statistics are missing or stale.

    Why: the planner estimates row counts from the statistics ANALYZE gathers; a table never
    analysed, or changed by more than ``modified_pct`` of its rows since, gets wrong
    estimates, and wrong estimates pick wrong plans (nested loops over thousands of rows,
    sequential scans where an index would do).
    Fix: ANALYZE it, and check why autovacuum's analyze did not run.
    """
    for r in records(snap["tables"]):
        live = r.get("n_live_tup") or 0
        mods = r.get("n_mod_since_analyze") or 0
        never = r.get("last_analyze") is None and r.get("last_autoanalyze") is None
        if never:
            if max(live, mods) < t["min_rows"]:
                continue
        else:
            if mods < t["min_modified"] or 100.0 * mods / max(live, 1) < t["modified_pct"]:
                continue
        name = qualified(r["schema"], r["table"])
        title = (f"{r['table']} ({int(max(live, mods)):,} rows) has never been analysed" if never else
                 f"{r['table']}: {int(mods):,} rows changed since the last ANALYZE")
        yield Finding(
            check="analyze_overdue",
            severity="warning",
            title=title,
            object={"schema": r["schema"], "table": r["table"]},
            evidence={"n_live_tup": int(live), "n_mod_since_analyze": int(mods),
                      "modified_pct": round(100.0 * mods / max(live, 1), 1),
                      "last_analyze": r.get("last_analyze"), "last_autoanalyze": r.get("last_autoanalyze"),
                      "autovacuum_enabled": not _autovacuum_disabled(r)},
            recommendation="Run ANALYZE so the planner sees the table as it is now."
                           + (" Autovacuum is disabled on this table, so nothing will do it for you."
                              if _autovacuum_disabled(r) else ""),
            sql=f"ANALYZE VERBOSE {name};",
        )


@check("table_bloat", "maintenance", engines=ENGINES, min_bytes=10 * 1048576, bloat_pct=40.0, critical_pct=90.0)
def table_bloat(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Tables much larger than their live rows need, estimated from statistics (no scan).

    Why: free space inside a table is read by every sequential scan and wastes cache.
    The estimate (ioguix's, as used by postgres-checkup F004) accounts for fillfactor, so a
    freshly written table is not reported; thresholds: ``bloat_pct`` (warning) and
    ``critical_pct`` of tables above ``min_bytes``. It needs pg_stats: when this role cannot
    read it, the report says so instead of staying silent.
    Fix: VACUUM FULL (blocks the table) or pg_repack (online); then keep autovacuum up.
    """
    tables = {(r["schema"], r["table"]): r for r in records(snap["tables"])}
    for r in records(snap["table_bloat"]):
        if r.get("estimate_unreliable"):
            continue
        real = r.get("real_bytes") or 0
        pct = r.get("bloat_pct") or 0.0
        if real < t["min_bytes"] or pct < t["bloat_pct"]:
            continue
        name = qualified(r["schema"], r["table"])
        trow = tables.get((r["schema"], r["table"]), {})
        yield Finding(
            check="table_bloat",
            severity="critical" if pct >= t["critical_pct"] else "warning",
            title=f"{r['table']} is about {pct:.0f}% bloat ({human_bytes(r.get('bloat_bytes'))} of "
                  f"{human_bytes(real)})",
            object={"schema": r["schema"], "table": r["table"]},
            evidence={"real_bytes": int(real), "bloat_bytes": int(r.get("bloat_bytes") or 0),
                      "bloat_pct": round(pct, 1), "fillfactor": r.get("fillfactor"),
                      "n_dead_tup": trow.get("n_dead_tup"), "estimate": "statistics (pg_stats), no scan"},
            recommendation=("Rewrite the table to give the space back: pg_repack does it online; VACUUM FULL holds "
                            "an ACCESS EXCLUSIVE lock (no reads or writes) for the whole rewrite, so only in a "
                            "maintenance window. Then find why autovacuum let it grow (see vacuum_overdue)."),
            sql=f"VACUUM (FULL, ANALYZE, VERBOSE) {name};  -- blocks the table; prefer pg_repack online",
        )


@check("xid_wraparound_risk", "maintenance", engines=ENGINES, warn_pct=50.0, critical_pct=80.0)
def xid_wraparound_risk(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """Transaction-ID (and multixact) age approaching the wraparound limit.

    Why: at about 2^31 transactions of age the server stops accepting writes to protect
    data, and only a long VACUUM FREEZE brings it back. Anti-wraparound autovacuum normally
    prevents it; when ages pass ``warn_pct`` (pganalyze: 50%) of the limit something blocks it
    (long transactions, prepared transactions, replication slots, a throttled autovacuum).
    Checked per database and per table, TOAST included.
    Fix: VACUUM (FREEZE) the oldest tables and remove what holds the xmin horizon back.
    """
    found_table = False
    system: list[tuple[dict[str, Any], str, int, float]] = []
    for r in records(snap["xid_age"]):
        for kind, age in (("xid", r.get("xid_age")), ("multixact", r.get("mxid_age"))):
            if age is None:
                continue
            pct = 100.0 * age / XID_LIMIT
            if pct < t["warn_pct"]:
                continue
            found_table = True
            if r.get("is_system"):
                system.append((r, kind, int(age), pct))
                continue
            yield Finding(
                check="xid_wraparound_risk",
                severity="critical" if pct >= t["critical_pct"] else "warning",
                title=f"{r['table']}: {kind} age {int(age):,} is {pct:.0f}% of the wraparound limit",
                object={"schema": r["schema"], "table": r["table"]},
                evidence={f"{kind}_age": int(age), "pct_of_limit": round(pct, 1),
                          "transactions_left": int(XID_LIMIT - age),
                          "autovacuum_freeze_max_age": r.get("autovacuum_freeze_max_age"),
                          "size": human_bytes(r.get("table_bytes"))},
                recommendation=("Freeze this table now, and find what keeps autovacuum from doing it: long-running "
                                "or idle-in-transaction sessions, forgotten prepared transactions, stale replication "
                                "slots."),
                sql=f"VACUUM (FREEZE, VERBOSE) {qualified(r['schema'], r['table'])};",
            )
    if system:  # one finding for the catalogs: a database-wide VACUUM freezes them all
        worst = max(system, key=lambda s: s[3])
        yield Finding(
            check="xid_wraparound_risk",
            severity="critical" if worst[3] >= t["critical_pct"] else "warning",
            title=f"{len({s[0]['table'] for s in system})} system catalogs are at up to {worst[3]:.0f}% of the "
                  "wraparound limit",
            object={"schema": worst[0]["schema"], "database": snap.database},
            evidence={"oldest_catalog": worst[0]["table"], f"{worst[1]}_age": worst[2],
                      "pct_of_limit": round(worst[3], 1), "catalogs": sorted({s[0]["table"] for s in system})},
            recommendation="Run a database-wide VACUUM (FREEZE) (it covers the catalogs) and remove what blocks "
                           "autovacuum.",
            sql="VACUUM (FREEZE, VERBOSE);",
        )
    db = snap["database"]
    if db.empty or found_table:
        return
    row = db.iloc[0]
    age = row.get("datfrozenxid_age")
    if age is not None and 100.0 * age / XID_LIMIT >= t["warn_pct"]:
        pct = 100.0 * age / XID_LIMIT
        yield Finding(
            check="xid_wraparound_risk",
            severity="critical" if pct >= t["critical_pct"] else "warning",
            title=f"Database {row['database']}: transaction-ID age {int(age):,} is {pct:.0f}% of the limit",
            object={"database": row["database"]},
            evidence={"datfrozenxid_age": int(age), "pct_of_limit": round(pct, 1)},
            recommendation="Run a database-wide VACUUM (FREEZE) and remove what blocks autovacuum.",
            sql="VACUUM (FREEZE, VERBOSE);",
        )
