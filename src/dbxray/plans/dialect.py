"""What the plan rules need to know about an engine's SQL: quoting, how it reads a plan's conditions,
and how its fixes are written. Each engine subclasses this in ``engines/<name>/plans/dialect.py``;
the defaults describe an engine that can only be told in words.
"""

from __future__ import annotations

from typing import Any

from dbxray.plans.predicates import Predicates


class PlanDialect:
    """Fix SQL and condition parsing for one engine's plans (the rules stay engine-neutral)."""

    #: the catalog reports statistics freshness (last ANALYZE, rows changed since)
    tracks_statistics_age = False
    #: an index condition plus a filter can be merged into one better index suggestion
    merges_index_and_filter = False

    def quote(self, *parts: str | None) -> str:
        return ".".join('"' + str(p).replace('"', '""') + '"' for p in parts if p)

    def columns(self, columns: list[str]) -> str:
        return ", ".join(self.quote(c) for c in columns)

    def predicates(self, expression: str | None) -> Predicates | None:
        return None

    def create_index(self, table_sql: str, relation: str, columns: list[str], partitioned: bool) -> str | None:
        return None

    def analyze(self, table_sql: str) -> str | None:
        """The statement that refreshes a table's statistics."""
        return None

    def correlated_columns(self, schema: str | None, relation: str, table_sql: str,
                           columns: list[str]) -> tuple[str, str | None]:
        """(advice, fix SQL) when the planner multiplies the selectivities of correlated columns."""
        return (f"Likely cause: correlated columns ({', '.join(columns)}): the planner treats them as independent.",
                None)

    def column_statistics(self, table_sql: str, columns: list[str], flavor: str) -> tuple[str, str | None] | None:
        """(advice, fix SQL) when the optimizer has no statistics on unindexed filter columns, or None."""
        return None

    def grouping(self, sql: str | None) -> dict[str, Any] | None:
        """What a statement groups and orders by, for the temporary-table rule: ``group_by`` and
        ``order_by`` as [(table, column)], ``equalities`` {table: [column]} from the WHERE clause,
        ``tables`` {table: schema or None}, ``columns`` (every column name it mentions); None when unknown."""
        return None

    def statement_offset(self, sql: str) -> float | None:
        """The OFFSET of a statement's top level, read from its text (plans without actual rows)."""
        return None

    def vacuum(self, table_sql: str) -> str | None:
        return None

    def catalog(self, session: Any) -> Any:
        """The live-catalog lookup the rules consult (sizes, statistics age, indexes), or None."""
        return None
