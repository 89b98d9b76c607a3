"""The explain command's Report: the contract's top level, the plan findings, and a ``plan`` block."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from dbxray.findings import Finding
from dbxray.plans.model import Plan


def analyse(plan: Plan, catalog: Any = None, thresholds: Any = None, config: Any = None) -> list[Finding]:
    """Annotate the tree (self times, hot path) and run every enabled plan rule over it, with the
    thresholds of ``[plans.<rule>]`` in ``config`` (or ``thresholds`` given directly)."""
    from dbxray.plans.analyze import annotate
    from dbxray.plans.rules import configured, plan_findings

    annotate(plan)
    disabled: set[str] = set()
    if config is not None:
        configured_thresholds, disabled = configured(config.plans)
        thresholds = thresholds or configured_thresholds
    return plan_findings(plan, catalog=catalog, thresholds=thresholds, disabled=disabled)


def plan_block(plan: Plan, findings: list[Finding]) -> dict[str, Any]:
    from dbxray.plans.analyze import hot_nodes, hot_path
    from dbxray.plans.render import text_tree

    return {
        "engine": plan.engine,
        "flavor": plan.flavor,
        "source_format": plan.source_format,
        "analyzed": plan.analysed,
        "total_ms": _round(plan.total_ms()),
        "planning_ms": _round(plan.planning_ms),
        "execution_ms": _round(plan.execution_ms),
        "total_cost": plan.total_cost,
        "node_count": sum(1 for _ in plan.root.walk()),
        "hot_nodes": hot_nodes(plan),
        "hot_path": hot_path(plan),
        "jit_ms": (plan.jit.get("Timing") or {}).get("Total") if isinstance(plan.jit, dict) else None,
        "text_tree": text_tree(plan, findings),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def build_explain_report(plan: Plan, findings: list[Finding], target: dict[str, Any],
                         started: float | None = None, notes: list[str] | None = None,
                         summary: dict[str, Any] | None = None) -> Any:
    from dbxray.report.build import Report

    report = Report(
        kind="explain",
        target=target,
        collected_at=dt.datetime.now(dt.UTC),
        summary={"statement": (plan.statement or "")[:2000] or None, "analyzed": plan.analysed, **(summary or {})},
        collection={"duration_ms": round(1000 * (time.monotonic() - started), 1) if started else 0.0,
                    "collectors": []},
        notes=list(notes or []),
        extra={"plan": plan_block(plan, findings)},
    )
    report.add(findings)
    return report
