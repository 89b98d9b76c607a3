"""Plans: one tree for every engine's EXPLAIN output, its analysis, and the explain command's logic.

Light on purpose (the CLI imports nothing heavy at start-up): the functions below import
their modules when called.
"""

from __future__ import annotations

from typing import Any


def statement_findings(session: Any, statements_df: Any, top_n: int = 5) -> list[Any]:
    """Plan findings of the top statements by total time (generic plans), tagged with their query id."""
    from dbxray.plans.statements import statement_findings as _impl

    return _impl(session, statements_df, top_n=top_n)


def parse_plan_text(text: str, statement: str | None = None) -> Any:
    """Any supported saved plan (PostgreSQL JSON/text, MariaDB/MySQL JSON, MySQL tree) -> Plan."""
    from dbxray.plans.load import parse_plan_text as _impl

    return _impl(text, statement)


def analyse(plan: Any, catalog: Any = None, thresholds: Any = None) -> list[Any]:
    """Annotate a Plan (self times, hot path) and return its findings."""
    from dbxray.plans.report import analyse as _impl

    return _impl(plan, catalog, thresholds)


__all__ = ["analyse", "parse_plan_text", "statement_findings"]
