"""Setting checks for PostgreSQL: extensions we need, and the few settings that matter most."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.engines.postgres.checks import ENGINES
from dbxray.engines.postgres.checks.helpers import human_bytes, records, setting_bytes, work_mem_for
from dbxray.engines.postgres.quoting import pg_literal
from dbxray.findings import Finding


def _preloaded(snap: Any) -> list[str]:
    raw = snap.setting("shared_preload_libraries") or ""
    return [x.strip().strip('"') for x in str(raw).split(",") if x.strip()]


@check("extension_missing", "settings", engines=ENGINES)
def extension_missing(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """pg_stat_statements (statement statistics) or HypoPG (index proofs) missing, and exactly how to enable them.

    Why: without pg_stat_statements there is no statement history: slow_query, temp_spill,
    n_plus_one and the index advisor have nothing to work on. It needs to be in
    ``shared_preload_libraries`` (a restart) *and* created in the database. HypoPG lets the
    index advisor prove a suggestion before you build it.
    """
    for source in ("extensions", "available_extensions"):
        run = snap.run_of(source)
        if run is not None and run.status != "ok":
            return  # we cannot tell what is installed: the notes name the failed collector instead
    available = {r["name"]: r for r in records(snap["available_extensions"])}
    created = {r["name"]: r for r in records(snap["extensions"])}
    preload = _preloaded(snap)
    run = snap.run_of("statements")
    pgss_works = snap.has("statements")
    lost = snap.meta.get("connection_lost") and run is not None and run.status == "error"
    if not pgss_works and not lost:  # a statements collector cut by a lost connection tells nothing
        steps, sql = [], []
        if "pg_stat_statements" not in available:
            steps.append("install the contrib package on the server (Debian/Ubuntu: postgresql-contrib or "
                         "postgresql-NN; RHEL: postgresqlNN-contrib)")
        if "pg_stat_statements" not in preload:
            new = ",".join([*preload, "pg_stat_statements"])
            steps.append("add it to shared_preload_libraries and restart the server")
            sql.append(f"ALTER SYSTEM SET shared_preload_libraries = {pg_literal(new)};"
                       "  -- then restart PostgreSQL")
        if "pg_stat_statements" not in created:
            steps.append("create the extension in this database")
            sql.append("CREATE EXTENSION IF NOT EXISTS pg_stat_statements;")
        if not steps:  # created and preloaded, yet unreadable
            steps.append(f"make it readable: {run.detail if run else 'collection failed'}")
        yield Finding(
            check="extension_missing",
            severity="warning",
            title="pg_stat_statements is not available: no statement statistics",
            object={"extension": "pg_stat_statements"},
            evidence={"preloaded": "pg_stat_statements" in preload, "created": "pg_stat_statements" in created,
                      "package_installed": "pg_stat_statements" in available,
                      "collector": f"{run.status}: {run.detail}" if run else None},
            recommendation="To enable it: " + "; ".join(steps) + ". Managed services expose it as a parameter "
                           "group / flag setting.",
            sql="\n".join(sql) or None,
        )
    else:
        row = created.get("pg_stat_statements") or {}
        if row.get("available_version") and row.get("version") and row["available_version"] != row["version"]:
            yield Finding(
                check="extension_missing",
                severity="info",
                title=f"pg_stat_statements {row['version']} is older than the installed {row['available_version']}",
                object={"extension": "pg_stat_statements"},
                evidence={"version": row["version"], "available_version": row["available_version"]},
                recommendation="Update the extension to get the newer columns (plan times, JIT, I/O timings).",
                sql="ALTER EXTENSION pg_stat_statements UPDATE;",
            )
    if "hypopg" not in created:
        installable = "hypopg" in available
        yield Finding(
            check="extension_missing",
            severity="info",
            title="HypoPG is not " + ("created in this database" if installable else "installed")
                  + ": index suggestions cannot be proven",
            object={"extension": "hypopg"},
            evidence={"package_installed": installable, "created": False},
            recommendation=("Create it so `dbxray indexes` can check each suggested index with the planner before "
                            "you build it (hypothetical indexes live only in dbxray's session)."
                            if installable else
                            "Install the package (Debian/Ubuntu: postgresql-NN-hypopg; it is available on most "
                            "managed services), then create the extension."),
            sql="CREATE EXTENSION IF NOT EXISTS hypopg;",
        )


def _setting_finding(name: str, severity: str, title: str, value: Any, advice: str, sql: str | None,
                     **evidence: Any) -> Finding:
    return Finding(check="setting", severity=severity, title=title, object={"setting": name},
                   evidence={"current": value, **evidence}, recommendation=advice, sql=sql)


@check("setting", "settings", engines=ENGINES, temp_gb_per_day=1.0, small_work_mem_mb=8.0, max_connections_pooler=500)
def settings_check(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """The settings that most often hurt: safety switches, observability and memory.

    - ``fsync`` / ``full_page_writes`` off: a crash can corrupt the cluster (critical).
    - ``autovacuum`` off: bloat and, eventually, wraparound (critical).
    - ``track_io_timing`` off: statement I/O time is invisible (info).
    - planner ``enable_*`` switched off server-wide: every plan is distorted (warning).
    - a small ``work_mem`` while the database writes temporary files at more than
      ``temp_gb_per_day`` (warning, with the size the spills suggest).
    - ``max_connections`` above ``max_connections_pooler`` without a pooler (info).
    """
    if snap["settings"].empty:
        return
    for name in ("fsync", "full_page_writes"):
        if str(snap.setting(name, "on")) == "off":
            yield _setting_finding(name, "critical", f"{name} is off: a crash can corrupt the database", "off",
                                   f"Turn {name} back on unless this is a disposable copy.",
                                   f"ALTER SYSTEM SET {name} = on;\nSELECT pg_reload_conf();")
    if str(snap.setting("autovacuum", "on")) == "off":
        yield _setting_finding("autovacuum", "critical", "autovacuum is off for the whole server", "off",
                               "Turn it on: without it dead rows pile up and transaction-ID wraparound stops writes.",
                               "ALTER SYSTEM SET autovacuum = on;\nSELECT pg_reload_conf();")
    if str(snap.setting("track_io_timing", "off")) == "off":
        yield _setting_finding("track_io_timing", "info", "track_io_timing is off: I/O time per statement is unknown",
                               "off", "Turn it on (cheap on modern clocks; check with pg_test_timing) so statement "
                               "statistics show how much time is spent reading from disk.",
                               "ALTER SYSTEM SET track_io_timing = on;\nSELECT pg_reload_conf();")
    for r in records(snap["settings"]):
        if str(r["name"]).startswith("enable_") and r.get("setting") == "off" and \
                r.get("source") not in ("default", "override", "session"):
            yield _setting_finding(r["name"], "warning", f"Planner switch {r['name']} is off server-wide", "off",
                                   "Planner switches are for experiments in one session, not for production: every "
                                   "plan is bent around it.",
                                   f"ALTER SYSTEM RESET {r['name']};\nSELECT pg_reload_conf();",
                                   source=r.get("source"))
    work_mem = setting_bytes(snap, "work_mem")
    db = snap["database"]
    if work_mem is not None and not db.empty:
        row = db.iloc[0]
        days = max(float(row.get("stats_age_s") or 0) / 86400, 1 / 24)
        temp_per_day = float(row.get("temp_bytes") or 0) / days
        if work_mem <= t["small_work_mem_mb"] * 1048576 and temp_per_day >= t["temp_gb_per_day"] * 1073741824:
            spill, measured_by = _largest_spill(snap, row)
            suggested = work_mem_for(spill) if spill else "32MB"
            yield _setting_finding(
                "work_mem", "warning",
                f"work_mem is {human_bytes(work_mem)} while queries write {human_bytes(temp_per_day)} of temporary "
                "files a day", human_bytes(work_mem),
                f"Raise work_mem where the spills happen (see the temp_spill findings for the statements and roles): "
                f"the largest spill measured is {human_bytes(spill)} ({measured_by}), which about {suggested} keeps "
                "in memory. It applies per sort/hash node and per connection, so size it with max_connections in "
                "mind, and prefer the role that spills to the whole server.",
                f"ALTER SYSTEM SET work_mem = '{suggested}';  -- or per role: ALTER ROLE … SET work_mem = …\n"
                "SELECT pg_reload_conf();",
                temp_files=row.get("temp_files"), temp_bytes=row.get("temp_bytes"),
                largest_spill_bytes=int(spill) if spill else None, spill_measured_by=measured_by,
                suggested_work_mem=suggested)
    max_conn = snap.setting("max_connections")
    if max_conn and int(max_conn) > t["max_connections_pooler"]:
        yield _setting_finding("max_connections", "info", f"max_connections is {max_conn}", int(max_conn),
                               "Thousands of backends cost memory and contention; a pooler (PgBouncer) serves the "
                               "same clients with a few dozen.", None)


def _largest_spill(snap: Any, db_row: Any) -> tuple[float, str]:
    """The largest spill per call of any statement (pg_stat_statements temp blocks), else the database's
    average temporary file: what a work_mem recommendation is sized from."""
    best = 0.0
    frame = snap["statements"]
    if not frame.empty and "calls" in frame and "temp_blks_written" in frame:  # column-wise: no rows built
        calls = frame["calls"].astype(float)
        per_call = frame["temp_blks_written"].astype(float).fillna(0) * 8192 / calls.where(calls > 0)
        best = float(per_call.max()) if per_call.notna().any() else 0.0
    if best:
        return best, "per call, pg_stat_statements temp_blks_written"
    files = float(db_row.get("temp_files") or 0)
    return (float(db_row.get("temp_bytes") or 0) / files, "average temporary file, pg_stat_database") if files \
        else (0.0, "none")
