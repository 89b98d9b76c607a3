"""Plan findings: the checks an expert runs over a plan, one small registered rule each.

Bands follow PEV2 (row estimates 10/100/1000x, rows removed 50/90%, heap fetches 40/90%,
hash batches > 1) and the rule names pganalyze/pgMustard made familiar; every finding
points at its node (``object.node_id``/``node_type``) and, where the plan shows it, names
the cause: stale statistics, correlated columns, or ``work_mem`` too small (with a value
that would do, from what the node reports it used).

Rules register with ``@plan_rule(id, *thresholds)`` like checks do; ``[plans.<id>]`` in
``dbxray.toml`` overrides a rule's thresholds or switches it off (``enabled = false``).
Engine specifics (quoting, the fix SQL, how conditions parse) come from the plan's engine
through its :class:`~dbxray.plans.dialect.PlanDialect`.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

from dbxray.errors import BadInput
from dbxray.findings import Finding
from dbxray.plans.model import Plan
from dbxray.plans.rules.common import RULES, Context, RuleInfo, Thresholds, plan_rule

_MODULES = ("estimates", "memory", "reads", "joins", "statement", "temp_tables")  # import order is the rules' order
_loaded = False


def rules() -> dict[str, RuleInfo]:
    global _loaded
    if not _loaded:
        import importlib

        for name in _MODULES:
            importlib.import_module(f"{__name__}.{name}")
        _loaded = True
    return RULES


def configured(section: dict[str, Any] | None) -> tuple[Thresholds, set[str]]:
    """Thresholds and disabled rules from a ``[plans]`` config section; an unknown rule or key is an
    error naming the nearest valid one."""
    known = rules()
    values: dict[str, Any] = {}
    disabled: set[str] = set()
    for rule_id, options in (section or {}).items():
        if rule_id not in known:
            near = difflib.get_close_matches(rule_id, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (known: {', '.join(sorted(known))})"
            raise BadInput(f"config: [plans] has no rule named {rule_id!r}{hint}")
        if not isinstance(options, dict):
            raise BadInput(f"config: [plans.{rule_id}] must be a table of thresholds")
        allowed = set(known[rule_id].options) | {"enabled"}
        for key, value in options.items():
            if key not in allowed:
                near = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else f" (known: {', '.join(sorted(allowed))})"
                raise BadInput(f"config: plan rule {rule_id!r} has no threshold named {key!r}{hint}")
            if key == "enabled":
                if not value:
                    disabled.add(rule_id)
                continue
            default = getattr(Thresholds(), key)
            values[key] = tuple(value) if isinstance(default, tuple) else type(default)(value)
    return dataclasses.replace(Thresholds(), **values), disabled


def plan_findings(plan: Plan, catalog: Any = None, thresholds: Thresholds | None = None,
                  statement: str | None = None, disabled: set[str] | frozenset[str] = frozenset()) -> list[Finding]:
    """Every finding of an annotated plan (call ``analyze.annotate`` first)."""
    from dbxray import engine

    dialect = engine.get(plan.engine).plan_dialect()
    ctx = Context(plan, catalog, thresholds or Thresholds(), statement or plan.statement, dialect)
    active = [r for r in rules().values() if r.id not in disabled]
    node_rules = [r.func for r in active if r.scope == "node"]
    out: list[Finding] = []
    for node in plan.root.walk():
        for rule in node_rules:
            out.extend(rule(node, ctx))
    for info in active:
        if info.scope == "plan":
            out.extend(info.func(plan, ctx))
    return out


__all__ = ["Context", "RuleInfo", "Thresholds", "configured", "plan_findings", "plan_rule", "rules"]
