"""MySQL and MariaDB: performance_schema digests (or the slow log), information_schema, InnoDB,
EXPLAIN / ANALYZE FORMAT=JSON and MySQL 8's EXPLAIN ANALYZE tree.

One engine, two flavours (``mariadb``, ``mysql``): collectors pick their variant by flavour and
version. ``ENGINE`` is what the registry finds; drivers and parsers are imported when used.
"""

from __future__ import annotations

from typing import Any

from dbxray.engine import BaseEngine, IndexAdvice, LiveResult


class MySQLEngine(BaseEngine):
    name = "mysql"
    label = "MySQL / MariaDB"
    schemes = ("mysql", "mariadb", "mysql+pymysql")

    @property
    def check_modules(self) -> tuple[str, ...]:
        from dbxray.engines.mysql.checks import MODULES

        return MODULES

    # -- connecting and collecting ---------------------------------------------------------------
    def parse_dsn(self, dsn: str) -> Any:
        from dbxray.engines.mysql.session import parse_dsn

        return parse_dsn(dsn)

    def open(self, target: Any, limits: Any) -> Any:
        from dbxray.engines.mysql.session import open_session

        return open_session(target, limits)

    def flavor(self, session: Any) -> str:
        return "mariadb" if session.is_mariadb else "mysql"

    def busy_sessions(self, session: Any) -> int | None:
        """Other connections at work: running a statement now (``Threads_running``, ours left out: no
        privilege needed; it counts row-lock waits too, which the default threshold of four absorbs) or,
        on MariaDB, one that finished a statement in the last 100 ms (``PROCESSLIST.TIME_MS``: one look at
        Threads_running misses an OLTP server whose threads spend most of each millisecond between
        statements; other accounts' threads are visible with PROCESS)."""
        _, rows = session.query("SHOW GLOBAL STATUS LIKE 'Threads_running'")
        running = max(int(rows[0][1]) - 1, 0) if rows else 0
        if getattr(session, "is_mariadb", False):
            recent = session.scalar(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
                "AND COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Slave_IO', 'Slave_SQL') "
                "AND USER NOT IN ('system user', 'event_scheduler') AND (COMMAND <> 'Sleep' OR TIME_MS < 100)")
            running = max(running, int(recent or 0))
        return running

    def format_version(self, num: int) -> str:
        return f"{num // 10000}.{num // 100 % 100}.{num % 100}"

    def classify_error(self, session: Any, exc: Exception) -> tuple[str, str]:
        message = " ".join(str(exc).split())
        code = exc.args[0] if getattr(exc, "args", None) else None
        if code in (1969, 3024):
            return "timeout", f"cancelled by the statement time limit ({session.limits.statement_timeout:g} s)"
        if code in (1142, 1143, 1227, 1044):
            return "error", f"permission denied: {message}"
        return "error", message

    def postprocess(self, metric: str, frame: Any, snap: Any) -> Any:
        """Statements run without a default database are filed under a NULL schema: attribute them by the
        tables their digest names (see ``engines.mysql.attribution``)."""
        if metric != "statements":
            return frame
        from dbxray.engines.mysql.attribution import attribute_statements

        return attribute_statements(frame, snap.database)

    # -- checking --------------------------------------------------------------------------------
    def warm(self, metric: str, snap: Any) -> None:
        from dbxray.engines.mysql.warm import warm

        warm(metric, snap)

    def frames(self) -> Any:
        from dbxray.engines.mysql.frames import MySQLFrames

        return MySQLFrames()

    def notes(self, snap: Any) -> list[str]:
        from dbxray.engines.mysql.notes import mysql_notes

        return mysql_notes(snap)

    def counters_reset(self, new: Any, old: Any) -> str | None:
        from dbxray.engines.mysql.checks.helpers import uptime_s

        up_new, up_old = uptime_s(new), uptime_s(old)
        elapsed = (new.collected_at - old.collected_at).total_seconds()
        if up_new is not None and up_old is not None and up_new < up_old + elapsed - 60:
            return f"the server restarted {up_new / 3600:.1f} h ago (Uptime went down)"
        return None

    def statements_gap(self, snap: Any) -> str | None:
        from dbxray.engines.mysql.checks.helpers import performance_schema_on, records

        if performance_schema_on(snap) is False:
            source = " (the slow log gives a partial view)" if not snap["slow_log"].empty else ""
            return ("performance_schema is not available (OFF: it is a startup option): statement checks were "
                    f"skipped{source}; see the setting finding for how to enable it")
        setup = next(iter(records(snap["ps_setup"])), {})
        if str(setup.get("statements_digest") or "").upper() == "NO":
            return ("performance_schema is not collecting statement digests (the statements_digest consumer is "
                    "off): statement checks were skipped; see the setting finding for how to enable it")
        if not snap.has("statements"):
            run = snap.run_of("statements")
            detail = f" ({run.detail})" if run and run.detail else ""
            return (f"no statement statistics{detail}: statement checks were skipped; see the setting findings "
                    "for how to enable performance_schema")
        return None

    def live_analysis(self, session: Any, snap: Any, findings: list, config: Any) -> LiveResult:
        from dbxray.engines.mysql.live import live_analysis

        return live_analysis(session, snap, findings, config)

    # -- statements and plans ----------------------------------------------------------------------
    def quote(self, *parts: str) -> str:
        from dbxray.engines.mysql.quoting import mysql_ident

        return mysql_ident(*parts)

    def normalize_sql(self, text: str) -> str:
        from dbxray.engines.mysql.normalize import normalize_mysql

        return normalize_mysql(text)

    def inspect(self, sql: str) -> Any:
        from dbxray.engines.mysql.guard import inspect_mysql

        return inspect_mysql(sql)

    def explain(self, session: Any, sql: str, analyze: bool) -> Any:
        from dbxray.engines.mysql.plans.run import explain_mysql

        return explain_mysql(session, sql, analyze)

    def plan_dialect(self) -> Any:
        from dbxray.engines.mysql.plans.dialect import MySQLPlanDialect

        return MySQLPlanDialect()

    def parse_plan_text(self, text: str, statement: str | None) -> Any:
        from dbxray.engines.mysql.plans.parse import looks_like_mysql_tree, parse_mysql_tree, resolve_aliases

        if not looks_like_mysql_tree(text):
            return None
        return resolve_aliases(parse_mysql_tree(text, statement), statement)

    def parse_plan_json(self, data: Any, statement: str | None) -> Any:
        from dbxray.engines.mysql.plans.parse import (
            looks_like_mysql_json_v2,
            parse_mysql_json,
            parse_mysql_json_v2,
            resolve_aliases,
        )

        probe = data[0] if isinstance(data, list) and data else data
        if looks_like_mysql_json_v2(probe):
            return resolve_aliases(parse_mysql_json_v2(probe, statement), statement)
        if isinstance(probe, dict) and "query_block" in probe:
            return resolve_aliases(parse_mysql_json(probe, statement), statement)
        return None

    def index_advice(self, session: Any, queries: list[str], config: Any, verify: bool,
                     progress: Any, show_values: bool = False) -> IndexAdvice:
        from dbxray.engines.mysql.advisor.command import index_advice

        return index_advice(session, queries, config, verify, progress)


    def notable_settings(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        from dbxray.engines.mysql.notable_settings import CORE, NOTABLE

        return NOTABLE, CORE

ENGINE = MySQLEngine()
