"""Plans: one tree for every engine's EXPLAIN output, its analysis, and the explain command's logic.

Light on purpose (the CLI imports nothing heavy at start-up): the functions below import
their modules when called.
"""

from __future__ import annotations

from typing import Any


def parse_plan_text(text: str, statement: str | None = None) -> Any:
    """Any supported saved plan (PostgreSQL JSON/text, MariaDB/MySQL JSON, MySQL tree) -> Plan."""
    from dbxray.plans.load import parse_plan_text as _impl

    return _impl(text, statement)


def analyse(plan: Any, catalog: Any = None, thresholds: Any = None, config: Any = None) -> list[Any]:
    """Annotate a Plan (self times, hot path) and return its findings."""
    from dbxray.plans.report import analyse as _impl

    return _impl(plan, catalog, thresholds, config)


__all__ = ["analyse", "parse_plan_text"]
