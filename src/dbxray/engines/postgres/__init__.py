"""PostgreSQL: pg_stat_statements, the statistics views and catalogs, EXPLAIN (FORMAT JSON), HypoPG.

``ENGINE`` is what the registry finds. Everything heavy (psycopg, pglast, pandas) is imported by
the methods that need it, so finding the engine costs nothing at start-up.
"""

from __future__ import annotations

from typing import Any

from dbxray.engine import BaseEngine, IndexAdvice, LiveResult


class PostgresEngine(BaseEngine):
    name = "postgres"
    label = "PostgreSQL"
    schemes = ("postgresql", "postgres")
    # JIT compiles catalog queries that run once: 0.5-0.8 s per big collector on 10,000 tables
    collection_settings = ("SET jit = off",)
    collection_resets = ("RESET jit",)

    @property
    def check_modules(self) -> tuple[str, ...]:
        from dbxray.engines.postgres.checks import MODULES

        return MODULES

    # -- connecting and collecting ---------------------------------------------------------------
    def parse_dsn(self, dsn: str) -> Any:
        from dbxray.engines.postgres.session import parse_dsn

        return parse_dsn(dsn)

    def open(self, target: Any, limits: Any) -> Any:
        from dbxray.engines.postgres.session import open_session

        return open_session(target, limits)

    def busy_sessions(self, session: Any) -> int | None:
        """Other client sessions at work: running a statement now (not waiting on a lock: a blocked session
        costs the server nothing) or in the last 100 ms. One look at ``state = 'active'`` misses a busy
        OLTP server, whose sessions spend most of each millisecond between statements. Other roles'
        sessions are visible with pg_monitor."""
        return int(session.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' "
            "AND ((state = 'active' AND coalesce(wait_event_type, '') NOT IN ('Lock', 'Extension', 'Timeout')) "
            "OR (state = 'idle' AND state_change > clock_timestamp() - interval '100 milliseconds'))") or 0)

    def format_version(self, num: int) -> str:
        return str(num // 10000) if num >= 100000 else f"{num // 10000}.{num // 100 % 100}"

    def classify_error(self, session: Any, exc: Exception) -> tuple[str, str]:
        import psycopg

        message = " ".join(str(exc).split())
        if isinstance(exc, psycopg.errors.QueryCanceled):
            return "timeout", f"cancelled by statement_timeout ({session.limits.statement_timeout:g} s)"
        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            return "error", f"permission denied: {message}"
        return "error", message

    # -- checking --------------------------------------------------------------------------------
    def warm(self, metric: str, snap: Any) -> None:
        from dbxray.engines.postgres.warm import warm

        warm(metric, snap)

    def frames(self) -> Any:
        from dbxray.engines.postgres.frames import PostgresFrames

        return PostgresFrames()

    def notes(self, snap: Any) -> list[str]:
        from dbxray.engines.postgres.notes import postgres_notes

        return postgres_notes(snap)

    def counters_reset(self, new: Any, old: Any) -> str | None:
        def first(snap: Any, frame: str, column: str) -> Any:
            df = snap[frame]
            return None if df.empty or column not in df else str(df.iloc[0][column])

        if first(new, "statements_info", "stats_reset") != first(old, "statements_info", "stats_reset"):
            return f"pg_stat_statements was reset at {first(new, 'statements_info', 'stats_reset')}"
        started_new, started_old = first(new, "server", "started_at"), first(old, "server", "started_at")
        if started_new and started_old and started_new != started_old:
            return f"the server restarted at {started_new}"
        return None

    def statements_gap(self, snap: Any) -> str | None:
        if snap.has("statements"):
            return None
        run = snap.run_of("statements")
        detail = f" ({run.detail})" if run and run.detail else ""
        return (f"pg_stat_statements is not available{detail}: statement checks were skipped; "
                "see the extension_missing finding for how to enable it")

    def live_analysis(self, session: Any, snap: Any, findings: list, config: Any) -> LiveResult:
        from dbxray.engines.postgres.live import live_analysis

        return live_analysis(session, snap, findings, config)

    # -- statements and plans ----------------------------------------------------------------------
    def quote(self, *parts: str) -> str:
        from dbxray.engines.postgres.quoting import pg_ident

        return pg_ident(*parts)

    def normalize_sql(self, text: str) -> str:
        from dbxray.engines.postgres.normalize import normalize_pg

        return normalize_pg(text)

    def inspect(self, sql: str) -> Any:
        from dbxray.engines.postgres.guard import inspect_pg

        return inspect_pg(sql)

    def explain(self, session: Any, sql: str, analyze: bool) -> Any:
        from dbxray.engines.postgres.plans.run import explain_pg

        return explain_pg(session, sql, analyze)

    def statement_text(self, session: Any, query_id: str) -> str:
        from dbxray.engines.postgres.plans.run import statement_of_query_id

        return statement_of_query_id(session, query_id)

    def plan_dialect(self) -> Any:
        from dbxray.engines.postgres.plans.dialect import PostgresPlanDialect

        return PostgresPlanDialect()

    def plan_catalog(self, session: Any) -> Any:
        return self.plan_dialect().catalog(session)

    def parse_plan_text(self, text: str, statement: str | None) -> Any:
        from dbxray.engines.postgres.plans.parse import looks_like_pg_text, parse_pg_text

        return parse_pg_text(text, statement) if looks_like_pg_text(text) else None

    def parse_plan_json(self, data: Any, statement: str | None) -> Any:
        from dbxray.engines.postgres.plans.parse import parse_pg_json

        probe = data[0] if isinstance(data, list) and data else data
        if isinstance(probe, dict) and ("Plan" in probe or "QUERY PLAN" in probe):
            return parse_pg_json(data, statement)
        return None

    def prove_plan_indexes(self, session: Any, statement: str, findings: list) -> list:
        from dbxray.engines.postgres.advisor.from_plan import prove_plan_suggestions

        return prove_plan_suggestions(session, statement, findings)

    def analyze_notes(self, info: Any) -> list[str]:
        notes = super().analyze_notes(info)
        if notes:
            notes[0] += " (values it drew from sequences were not: sequences are not transactional)"
        return notes

    def index_advice(self, session: Any, queries: list[str], config: Any, verify: bool,
                     progress: Any, show_values: bool = False) -> IndexAdvice:
        from dbxray.engines.postgres.advisor.command import index_advice

        return index_advice(session, queries, config, verify, progress, show_values=show_values)


    def notable_settings(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        from dbxray.engines.postgres.notable_settings import CORE, NOTABLE

        return NOTABLE, CORE

    def prove_index(self, session: Any, schema: str, table: str, columns: list[str], statements: list) -> dict:
        from dbxray.engines.postgres.advisor.proof import prove_index

        return prove_index(session, schema, table, columns, statements)

ENGINE = PostgresEngine()
