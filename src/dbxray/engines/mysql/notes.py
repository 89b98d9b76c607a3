"""What a MySQL/MariaDB collection could not see (performance_schema off, missing PROCESS, ...).

Silence must never read as health: each note says which source was missing, what that hides,
and where the findings came from instead.
"""

from __future__ import annotations

from typing import Any


def _truthy(value: Any) -> bool:
    return str(value).strip().upper() in ("1", "ON", "YES", "TRUE")


def mysql_notes(snap: Any) -> list[str]:
    from dbxray.engines.mysql.checks.helpers import has_process, performance_schema_on, server_row, status

    notes: list[str] = []
    if snap.database and not (snap["statements"].empty and snap["slow_log"].empty):
        frame = snap["statements"]
        attributed = int((frame["schema_source"].notna()).sum()) if "schema_source" in frame else 0
        notes.append(f"statements are those run with {snap.database!r} as the default database (performance_schema "
                     "files each digest under its session's default schema), and those run without one whose "
                     f"digest names its tables ({attributed} here, attributed with sqlglot); dbxray's own "
                     "statements are never counted")
    ps = performance_schema_on(snap)
    slow = snap["slow_log"]
    if ps is False:
        if not slow.empty:
            notes.append(f"performance_schema is OFF: statement findings come from mysql.slow_log ({len(slow)} "
                         "statement fingerprints above long_query_time); index-usage, temporary-table and "
                         "no-index-used counters are unavailable")
        else:
            log_output = str(snap.setting("log_output") or "")
            why = ("the slow log is not written to a table (log_output=" + log_output + ")"
                   if "TABLE" not in log_output.upper() else "mysql.slow_log has nothing for this database")
            notes.append(f"performance_schema is OFF and {why}: there are no statement statistics at all; the "
                         "`setting` finding says how to enable them")
        if not _truthy(snap.setting("userstat")) and snap.meta.get("flavor") == "mariadb":
            notes.append("userstat is OFF: unused indexes cannot be detected without performance_schema "
                         "(SET GLOBAL userstat = ON needs no restart)")
    elif ps and snap["statements"].empty and snap.run_of("statements") and snap.run_of("statements").status == "ok":
        notes.append("performance_schema is ON but has no digests for this database yet (no workload since the "
                     "server started, or the statements ran without this default database)")
    if has_process(snap) is False:
        notes.append(f"account {server_row(snap).get('account')} lacks PROCESS: other sessions, InnoDB transactions "
                     "and lock waits are invisible (long_running_query, idle_in_transaction and lock_contention "
                     "see only this account)")
    notes.extend(_security_notes(snap))
    uptime = status(snap).get("uptime")
    if uptime is not None and uptime < 86400:
        notes.append(f"the server started {uptime / 3600:.1f} h ago: cumulative statistics (digests, index usage, "
                     "buffer pool hit rate) cover only that time")
    server = server_row(snap)
    in_scope = server.get("tables_in_scope")
    tables = snap["tables"]
    if in_scope and not tables.empty and len(tables) < int(in_scope):
        notes.append(f"only the {len(tables)} largest of {int(in_scope)} tables were read (collection is bounded)")
    return notes


def _security_notes(snap: Any) -> list[str]:
    """What the security review could not read, and the one grant that would let it."""
    run = snap.run_of("accounts")
    if run is None or run.status == "ok":
        return []
    table = "mysql.global_priv" if snap.meta.get("flavor") == "mariadb" else "mysql.user"
    how = (f"it reads only {table} (GRANT SELECT ON {table} TO the dbxray account), never the password hashes"
           if run.status != "skipped" else "this server version is not supported by the account collector")
    return [f"the account review (anonymous_account, weak_auth, superuser_role, global_privilege) was skipped: "
            f"{run.detail or run.status}; {how}; the setting checks (insecure_setting) ran"]
