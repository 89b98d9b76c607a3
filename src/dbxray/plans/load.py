"""A saved plan (file or stdin) into the one tree: detect the format, parse, or say clearly why not."""

from __future__ import annotations

import json
from typing import Any

from dbxray.errors import BadInput
from dbxray.plans.model import Plan


def parse_plan_text(text: str, statement: str | None = None) -> Plan:
    """PostgreSQL JSON or text, MariaDB/MySQL JSON (MySQL's version 2 too), or MySQL tree text."""
    stripped = _strip_client_decoration((text or "").strip().lstrip("\ufeff"))
    if not stripped:
        raise BadInput("empty plan: give the output of EXPLAIN (FORMAT JSON) (or its text format)")
    if stripped[0] in "[{":
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise BadInput(f"the plan is not valid JSON (truncated?): {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}") from None
        except RecursionError:
            raise BadInput("the plan's JSON is nested too deeply to read") from None
        return parse_plan_json(data, statement)
    from dbxray import engine

    for eng in engine.engines().values():
        plan = eng.parse_plan_text(stripped, statement)
        if plan is not None:
            return plan
    first = stripped.splitlines()[0][:60]
    raise BadInput(f"not a plan: expected EXPLAIN (FORMAT JSON) output or a text plan, got {first!r}")


def _strip_client_decoration(text: str) -> str:
    """The mysql client's ``\\G`` output (``*** 1. row ***`` then ``EXPLAIN: {`` / ``ANALYZE: {``)."""
    import re

    lines = text.splitlines()
    if lines and re.fullmatch(r"\*+ \d+\. row \*+", lines[0].strip()):
        lines = lines[1:]
    body = "\n".join(lines).strip()
    m = re.match(r"^(?:EXPLAIN|ANALYZE):\s*([\[{].*)$", body, flags=re.DOTALL)
    return m.group(1) if m else body


def parse_plan_json(data: Any, statement: str | None = None) -> Plan:
    """Decide by shape, asking each engine: PostgreSQL has ``Plan``; MySQL and MariaDB have ``query_block``;
    MySQL's JSON version 2 has ``operation`` (at the top, or under ``query_plan``)."""
    from dbxray import engine

    for eng in engine.engines().values():
        plan = eng.parse_plan_json(data, statement)
        if plan is not None:
            return plan
    kind = type(data).__name__ if not isinstance(data, dict) else f"an object with keys {sorted(data)[:5]}"
    raise BadInput(f"not a plan: JSON {kind} has neither 'Plan' (PostgreSQL) nor 'query_block' (MySQL/MariaDB)")
