"""How MySQL / MariaDB plans are read and fixed: sqlglot for conditions, backtick quoting,
``ALTER TABLE … ADD INDEX`` and column histograms (MariaDB's persistent statistics, MySQL 8's
histograms)."""

from __future__ import annotations

from typing import Any

from dbxray.engines.mysql.quoting import mysql_ident
from dbxray.plans.dialect import PlanDialect


class MySQLPlanDialect(PlanDialect):
    def quote(self, *parts: str | None) -> str:
        return mysql_ident(*[p for p in parts if p])

    def predicates(self, expression: str | None) -> Any:
        from dbxray.engines.mysql.plans.predicates import mysql_predicates

        return mysql_predicates(expression)

    def create_index(self, table_sql: str, relation: str, columns: list[str], partitioned: bool) -> str:
        name = self.quote(f"ix_{relation}_{'_'.join(columns)}"[:64])
        return f"ALTER TABLE {table_sql} ADD INDEX {name} ({self.columns(columns)});"

    def analyze(self, table_sql: str) -> str:
        return f"ANALYZE TABLE {table_sql};"

    def correlated_columns(self, schema: str | None, relation: str, table_sql: str,
                           columns: list[str]) -> tuple[str, str | None]:
        return (f"Likely cause: correlated columns ({', '.join(columns)}): the optimizer treats them as independent. "
                "Histograms on them help (MariaDB: ANALYZE TABLE ... PERSISTENT FOR COLUMNS; MySQL 8: ANALYZE TABLE"
                " ... UPDATE HISTOGRAM ON ...).", None)

    def column_statistics(self, table_sql: str, columns: list[str], flavor: str) -> tuple[str, str | None]:
        if flavor == "mariadb":
            sql = f"ANALYZE TABLE {table_sql} PERSISTENT FOR COLUMNS ({self.columns(columns)}) INDEXES ();"
        else:
            sql = f"ANALYZE TABLE {table_sql} UPDATE HISTOGRAM ON {self.columns(columns)} WITH 100 BUCKETS;"
        return (f"Likely cause: the optimizer has no statistics on {', '.join(columns)} (not indexed), so it guesses "
                "the filter's selectivity. A histogram on those columns gives it the real distribution.", sql)

    def grouping(self, sql: str | None) -> dict[str, Any] | None:
        if not sql:
            return None
        from dbxray.engines.mysql.plans.grouping import statement_grouping

        return statement_grouping(sql)
