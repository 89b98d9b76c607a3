"""Setting checks for MySQL/MariaDB: the statistics sources dbxray needs, and memory that matters.

``performance_schema`` is a startup-only switch (OFF by default on MariaDB): when it is off
the report says exactly what to put in the server config, and which no-restart sources
(the slow log as a table, MariaDB's userstat) fill the gap meanwhile.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from dbxray.checks import check
from dbxray.checks.helpers import human_bytes
from dbxray.engines.mysql.checks import ENGINES
from dbxray.engines.mysql.checks.helpers import (
    has_process,
    performance_schema_on,
    records,
    server_row,
    setting,
    setting_num,
    status,
)
from dbxray.engines.mysql.quoting import mysql_ident
from dbxray.findings import Finding

CONFIG_FILES = {"mariadb": "/etc/mysql/mariadb.conf.d/50-server.cnf (Debian/Ubuntu) or /etc/my.cnf.d/server.cnf "
                           "(RHEL), section [mysqld]",
                "mysql": "/etc/mysql/mysql.conf.d/mysqld.cnf (Debian/Ubuntu) or /etc/my.cnf (RHEL), section "
                         "[mysqld]"}
PS_CONFIG = ("[mysqld]\n"
             "performance_schema = ON\n"
             "performance-schema-consumer-statements-digest = ON\n"
             "performance-schema-instrument = 'statement/%=ON'\n"
             "performance-schema-instrument = 'wait/io/table/sql/handler=ON'\n")


def _finding(name: str, severity: str, title: str, advice: str, sql: str | None, **evidence: Any) -> Finding:
    return Finding(check="setting", severity=severity, title=title, object={"setting": name},
                   evidence={k: v for k, v in evidence.items() if v is not None}, recommendation=advice, sql=sql)


def _fallback_sql(snap: Any) -> tuple[list[str], list[str]]:
    """SET GLOBAL statements for the sources that need no restart, and what they give."""
    sql, gives = [], []
    log_output = str(setting(snap, "log_output") or "").upper()
    if "TABLE" not in log_output:
        sql.append("SET GLOBAL log_output = 'FILE,TABLE';")
    if str(setting(snap, "slow_query_log") or "").upper() not in ("ON", "1"):
        sql.append("SET GLOBAL slow_query_log = ON;")
    lqt = setting_num(snap, "long_query_time")
    if lqt is None or lqt > 1:
        sql.append("SET GLOBAL long_query_time = 0.5;")
    if sql:
        gives.append("the slow log as the mysql.slow_log table (statements above long_query_time)")
    if snap.meta.get("flavor") == "mariadb" and str(setting(snap, "userstat") or "").upper() not in ("ON", "1"):
        sql.append("SET GLOBAL userstat = ON;")
        gives.append("userstat index statistics (which indexes are read)")
    return sql, gives


@check("setting", "settings", engines=ENGINES, min_bp_hit_pct=99.0, max_disk_tmp_pct=25.0)
def settings_check(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    """The settings behind what dbxray can see, and the memory settings that most often hurt.

    * performance_schema OFF (MariaDB's default; a restart to change): no digests, no index
      usage. Says what to put in the config file, and which dynamic sources fill the gap.
    * performance_schema ON but the digest consumer, statement or table-io instruments off,
      or the digest table full (new statements lumped in one NULL row).
    * the account lacks PROCESS: no other sessions, transactions or lock waits.
    * InnoDB buffer pool smaller than the data while under ``min_bp_hit_pct`` of page reads
      are served from memory, or threads waiting for free pages.
    * more than ``max_disk_tmp_pct`` of implicit temporary tables go to disk.
    """
    yield from _statistics_sources(snap)
    yield from _privileges(snap)
    yield from _buffer_pool(snap, t)
    yield from _tmp_tables(snap, t)


def _statistics_sources(snap: Any) -> Iterator[Finding]:
    flavor = snap.meta.get("flavor", "mysql")
    ps = performance_schema_on(snap)
    if ps is False:
        fallback, gives = _fallback_sql(snap)
        restart_sql = ("SET PERSIST_ONLY performance_schema = ON;  -- MySQL 8: written to mysqld-auto.cnf; "
                       "takes effect at the next restart" if flavor == "mysql" and snap.version_num >= 80000 else None)
        lines = [s for s in [restart_sql, *fallback] if s]
        advice = (f"performance_schema is OFF and can only be turned on at startup: add these lines to the server "
                  f"config ({CONFIG_FILES.get(flavor, CONFIG_FILES['mysql'])}) and restart:\n{PS_CONFIG}"
                  "On a managed service set performance_schema = 1 in the parameter group and reboot. It costs a "
                  "few percent of CPU and ~100-400 MB of memory.")
        if gives:
            advice += " Until the restart, these need none: " + "; ".join(gives) + " (the SQL below)."
        sources = [s for s, frame in (("mysql.slow_log", "slow_log"), ("userstat", "userstat_tables"))
                   if not snap[frame].empty]
        yield _finding("performance_schema", "warning",
                       "performance_schema is OFF: no statement digests and no index usage statistics", advice,
                       "\n".join(lines) or None, current="OFF", config=PS_CONFIG,
                       fallback_sources_in_use=sources or None, restart_required=True)
        return
    if not ps:
        return
    rows = list(records(snap["ps_setup"]))
    if not rows:
        return
    row = rows[0]
    if str(row.get("statements_digest") or "").upper() == "NO":
        yield _finding(
            "performance_schema_consumer_statements_digest", "warning",
            "performance_schema is ON but the statements_digest consumer is off: no statement digests",
            "Enable the consumer now (until the next restart), and in the config file so it stays on.",
            "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES'\n"
            " WHERE NAME IN ('statements_digest', 'events_statements_current');",
            current="NO", config="[mysqld]\nperformance-schema-consumer-statements-digest = ON\n")
    on, total = row.get("statement_instruments_on") or 0, row.get("statement_instruments") or 0
    if total and on < total / 2:
        yield _finding(
            "performance_schema_instrument", "warning",
            f"Only {on} of {total} statement instruments are enabled: most statements are not digested",
            "Enable the statement instruments (and in the config file: performance-schema-instrument = "
            "'statement/%=ON').",
            "UPDATE performance_schema.setup_instruments SET ENABLED = 'YES', TIMED = 'YES'\n"
            " WHERE NAME LIKE 'statement/%';",
            current=f"{on}/{total}")
    if str(row.get("table_io_instrument") or "").upper() == "NO":
        yield _finding(
            "performance_schema_instrument", "info",
            "The wait/io/table/sql/handler instrument is off: no index usage statistics (unused_index is blind)",
            "Enable it (and in the config file: performance-schema-instrument = "
            "'wait/io/table/sql/handler=ON').",
            "UPDATE performance_schema.setup_instruments SET ENABLED = 'YES', TIMED = 'YES'\n"
            " WHERE NAME = 'wait/io/table/sql/handler';",
            current="NO")
    overflow = float(row.get("digest_overflow_calls") or 0)
    if overflow:
        size = row.get("digests_size")
        yield _finding(
            "performance_schema_digests_size", "warning",
            f"The digest table is full ({size} digests): {int(overflow):,} executions of new statements are "
            "lumped into one row, so the ranking is incomplete",
            "Raise performance_schema_digests_size in the config file (a restart), or empty the table now, which "
            "resets every digest's counters for everyone (take a `dbxray report --save` snapshot first).",
            "TRUNCATE TABLE performance_schema.events_statements_summary_by_digest;  -- resets the statistics",
            current=size, digests=row.get("digests"), overflow_calls=int(overflow),
            config=f"[mysqld]\nperformance_schema_digests_size = {max(int(size or 5000) * 2, 10000)}\n")


def _privileges(snap: Any) -> Iterator[Finding]:
    account = server_row(snap).get("account") or ""
    user, _, host = str(account).partition("@")
    grantee = f"{mysql_ident(user)}@{mysql_ident(host or '%')}"  # backticks are valid account quoting
    run = snap.run_of("statements")
    if performance_schema_on(snap) and run and run.status == "error" and "permission denied" in run.detail:
        yield Finding(
            check="setting",
            severity="warning",
            title=f"Account {account} cannot read performance_schema: no statement digests, no index usage",
            object={"setting": "privilege:SELECT on performance_schema", "role": account},
            evidence={"account": account, "missing": "SELECT on performance_schema.*", "collector": run.detail,
                      "blind_checks": ["slow_query", "full_table_scan", "missing_index", "temp_spill",
                                       "unused_index"]},
            recommendation="Grant SELECT on performance_schema (read-only statistics, no user data).",
            sql=f"GRANT SELECT ON performance_schema.* TO {grantee};",
        )
    if has_process(snap) is not False:
        return
    yield Finding(
        check="setting",
        severity="info",
        title=f"Account {account} lacks the PROCESS privilege: other sessions, transactions and lock waits are "
              "invisible",
        object={"setting": "privilege:PROCESS", "role": account},
        evidence={"account": account, "missing": "PROCESS",
                  "blind_checks": ["long_running_query", "idle_in_transaction", "lock_contention"]},
        recommendation=("Grant PROCESS (a global privilege: it shows every session's statement text, so give it "
                        "to a monitoring account) to see long queries, open transactions and who blocks whom."),
        sql=f"GRANT PROCESS ON *.* TO {grantee};",
    )


def _round_chunk(n: float, chunk: float = 128 * 1048576) -> int:
    return int(math.ceil(n / chunk) * chunk)


def _buffer_pool(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    counters = status(snap)
    bp = setting_num(snap, "innodb_buffer_pool_size")
    data_rows = list(records(snap["innodb_data"]))
    data = float(data_rows[0].get("innodb_bytes") or 0) if data_rows else None
    requests = counters.get("innodb_buffer_pool_read_requests") or 0
    reads = counters.get("innodb_buffer_pool_reads") or 0
    wait_free = counters.get("innodb_buffer_pool_wait_free") or 0
    if not bp:
        return
    hit = 100.0 * (1 - reads / requests) if requests >= 100000 else None
    small = data is not None and bp < data
    if (small and hit is not None and hit < t["min_bp_hit_pct"]) or wait_free:
        target = _round_chunk(max((data or bp) * 1.25, bp * 2))
        yield _finding(
            "innodb_buffer_pool_size", "warning",
            f"InnoDB buffer pool ({human_bytes(bp)}) is smaller than the data ({human_bytes(data)})"
            + (f" and {100 - hit:.1f}% of page reads go to disk" if hit is not None else "")
            + (f"; threads waited {int(wait_free)} times for a free page" if wait_free else ""),
            (f"Give InnoDB more memory: about {human_bytes(target)} would hold the data with room to spare, but "
             "stay within ~70-80% of the RAM of a dedicated server. The resize is online (in chunks); put the value "
             "in the config file too."),
            f"SET GLOBAL innodb_buffer_pool_size = {target};  -- online resize; also set it in the config file",
            current=int(bp), innodb_data_bytes=int(data) if data is not None else None,
            hit_pct=round(hit, 3) if hit is not None else None, read_requests=int(requests),
            disk_reads=int(reads), wait_free=int(wait_free) or None, source="global status, mysql.innodb_table_stats")


def _tmp_tables(snap: Any, t: dict[str, Any]) -> Iterator[Finding]:
    counters = status(snap)
    created = counters.get("created_tmp_tables") or 0
    disk = counters.get("created_tmp_disk_tables") or 0
    tmp = setting_num(snap, "tmp_table_size")
    heap = setting_num(snap, "max_heap_table_size")
    if created < 1000 or tmp is None or heap is None:
        return
    pct = 100.0 * disk / created
    if pct < t["max_disk_tmp_pct"]:
        return
    limit = min(tmp, heap)
    target = _round_chunk(max(limit * 4, 64 * 1048576), 16 * 1048576)
    mismatch = tmp != heap
    yield _finding(
        "tmp_table_size", "warning",
        f"{pct:.0f}% of implicit temporary tables went to disk (limit {human_bytes(limit)})",
        (f"In-memory temporary tables are capped by min(tmp_table_size, max_heap_table_size) = {human_bytes(limit)}"
         + (" (the two differ: the smaller one wins)" if mismatch else "")
         + ". Raise both together, moderately (they are per temporary table, per session), after checking the "
           "temp_spill findings: TEXT/BLOB columns in GROUP BY/DISTINCT go to disk whatever the size."),
        f"SET GLOBAL tmp_table_size = {target};\nSET GLOBAL max_heap_table_size = {target};"
        "  -- new sessions; also in the config file",
        current={"tmp_table_size": int(tmp), "max_heap_table_size": int(heap)}, created_tmp_tables=int(created),
        created_tmp_disk_tables=int(disk), disk_pct=round(pct, 1), source="global status")


__all__ = ["settings_check"]
