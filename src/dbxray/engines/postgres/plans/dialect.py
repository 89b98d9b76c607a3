"""How PostgreSQL plans are read and fixed: pglast for conditions, psycopg quoting, CREATE INDEX
CONCURRENTLY, extended statistics, and statistics freshness from the live catalog."""

from __future__ import annotations

from typing import Any

from dbxray.engines.postgres.quoting import pg_ident
from dbxray.plans.dialect import PlanDialect


class PostgresPlanDialect(PlanDialect):
    tracks_statistics_age = True
    merges_index_and_filter = True

    def quote(self, *parts: str | None) -> str:
        return pg_ident(*[p for p in parts if p])

    def predicates(self, expression: str | None) -> Any:
        from dbxray.engines.postgres.plans.predicates import pg_predicates

        return pg_predicates(expression)

    def create_index(self, table_sql: str, relation: str, columns: list[str], partitioned: bool) -> str:
        # a partitioned table cannot build its index concurrently (PostgreSQL refuses)
        concurrently = "" if partitioned else "CONCURRENTLY "
        return f"CREATE INDEX {concurrently}ON {table_sql} ({self.columns(columns)});"

    def analyze(self, table_sql: str) -> str:
        return f"ANALYZE {table_sql};"

    def vacuum(self, table_sql: str) -> str:
        return f"VACUUM (ANALYZE) {table_sql};"

    def correlated_columns(self, schema: str | None, relation: str, table_sql: str,
                           columns: list[str]) -> tuple[str, str | None]:
        name = f"{relation}_{'_'.join(columns)}_stats"[:63]
        stats_name = self.quote(schema, name) if schema else self.quote(name)
        sql = (f"CREATE STATISTICS {stats_name} (dependencies) ON {self.columns(columns)} "
               f"FROM {table_sql};\nANALYZE {table_sql};")
        return (f"Likely cause: correlated columns: the planner multiplies the selectivities of "
                f"{', '.join(columns)} as if they were independent. Extended statistics teach it the dependency.",
                sql)

    def statement_offset(self, sql: str) -> float | None:
        try:
            import pglast
            from pglast import ast

            stmt = pglast.parse_sql(sql)[0].stmt
            off = getattr(stmt, "limitOffset", None)
            if isinstance(off, ast.A_Const) and isinstance(off.val, ast.Integer):
                return float(off.val.ival)
        except Exception:
            return None
        return None

    def catalog(self, session: Any) -> Any:
        from dbxray.engines.postgres.plans.catalog import PgCatalog

        return PgCatalog(session)
