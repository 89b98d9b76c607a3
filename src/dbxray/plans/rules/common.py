"""What every plan rule shares: the registry (``@plan_rule``), the thresholds, the context a rule
reads (plan, live catalog, the engine's dialect) and small helpers for a finding's object."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dbxray.plans.dialect import PlanDialect
from dbxray.plans.memory import parse_kb
from dbxray.plans.model import Node, Plan

SCANS = {"Seq Scan", "Parallel Seq Scan", "Index Scan", "Parallel Index Scan", "Index Only Scan",
         "Parallel Index Only Scan", "Bitmap Heap Scan", "Parallel Bitmap Heap Scan",
         "Table Scan", "Index Range Scan", "Full Index Scan", "Index Lookup", "Covering Index Lookup"}
FULL_SCANS = {"Seq Scan", "Parallel Seq Scan", "Table Scan"}


@dataclass
class Thresholds:
    """Defaults chosen to flag what a person would act on; all overridable."""

    estimate_bands: tuple[float, float, float] = (10.0, 100.0, 1000.0)
    estimate_min_rows: float = 100.0
    estimate_min_ms: float = 1.0  # a statement that ran faster than this gets its mis-estimates as info only
    removed_info: float = 0.5
    removed_warning: float = 0.9
    removed_min_rows: float = 1000.0
    missing_index_min_rows: float = 10000.0
    missing_index_selectivity: float = 0.1
    heap_fetch_info: float = 0.1
    heap_fetch_warning: float = 0.4
    heap_fetch_min: float = 100.0
    nested_loop_loops: float = 10000.0
    nested_loop_critical_loops: float = 1000000.0
    nested_loop_seq_loops: float = 100.0
    planning_info_ms: float = 20.0
    planning_warning_ms: float = 100.0
    jit_min_ms: float = 10.0
    jit_share: float = 0.2
    large_offset_rows: float = 10000.0
    fk_trigger_min_ms: float = 10.0
    fk_trigger_share: float = 0.2
    sort_memory_factor: float = 3.0  # an in-memory sort needs ~2.5-4.5x what it wrote to disk (measured on PG 15)
    temp_table_min_ms: float = 500.0  # an implicit temporary table (GROUP BY / ORDER BY / DISTINCT) this slow
    temp_table_share: float = 0.3  # ... and this share of the statement's time




@dataclass
class RuleInfo:
    id: str
    func: Callable[..., Iterable[Any]]
    options: tuple[str, ...]  # the Thresholds fields this rule reads: its [plans.<id>] keys
    scope: str  # "node" (called per node) or "plan" (called once)
    doc: str


RULES: dict[str, RuleInfo] = {}


def plan_rule(rule_id: str, *options: str, scope: str = "node") -> Callable:
    """Register a plan rule; ``options`` name the thresholds it reads (overridable in ``[plans.<id>]``)."""

    def register(func: Callable) -> Callable:
        unknown = set(options) - set(Thresholds.__dataclass_fields__)
        if unknown:
            raise RuntimeError(f"plan rule {rule_id} reads unknown thresholds {sorted(unknown)}")
        import inspect

        RULES[rule_id] = RuleInfo(rule_id, func, tuple(options), scope, inspect.getdoc(func) or "")
        return func

    return register


@dataclass
class Context:
    plan: Plan
    catalog: Any = None  # the engine's live catalog lookup, or None offline
    thresholds: Thresholds = field(default_factory=Thresholds)
    statement: str | None = None
    dialect: PlanDialect = field(default_factory=PlanDialect)

    @property
    def engine(self) -> str:
        return self.plan.engine

    def setting_kb(self, name: str, default_kb: int) -> tuple[int, str]:
        """A memory setting in kB and where it came from (the plan's Settings, the server, or a default)."""
        if name in self.plan.settings:
            kb = parse_kb(self.plan.settings[name])
            if kb:
                return kb, "plan"
        if self.catalog is not None:
            kb = parse_kb(self.catalog.setting(name))
            if kb:
                return kb, "server"
        return default_kb, "default"

    def setting_float(self, name: str, default: float) -> float:
        raw = self.plan.settings.get(name)
        if raw is None and self.catalog is not None:
            raw = self.catalog.setting(name)
        try:
            return float(raw) if raw is not None else default
        except ValueError:
            return default

    def table(self, node: Node) -> dict[str, Any] | None:
        if self.catalog is None or not node.relation:
            return None
        return self.catalog.table(node.schema, node.relation)

    def predicates(self, text: str | None) -> Any:
        return self.dialect.predicates(text)


def object_of(node: Node, ctx: Context, **extra: Any) -> dict[str, Any]:
    info = ctx.table(node)
    schema = node.schema or (info or {}).get("schema")
    obj = {"node_id": node.node_id, "node_type": node.node_type, "schema": schema, "table": node.relation,
           "relation": f"{schema}.{node.relation}" if schema and node.relation else node.relation,
           "index": node.index}
    obj.update(extra)
    return obj


def table_sql_of(node: Node, ctx: Context) -> str | None:
    info = ctx.table(node)
    if not node.relation:
        return None
    schema = node.schema or (info or {}).get("schema")
    return ctx.dialect.quote(schema, node.relation) if schema else ctx.dialect.quote(node.relation)


def time_evidence(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if node.self_ms is not None:
        out["self_ms"] = round(node.self_ms, 3)
    if node.self_pct is not None:
        out["self_pct"] = round(node.self_pct, 1)
    return out


def ancestors(node: Node) -> Iterable[Node]:
    cur = node.parent
    while cur is not None:
        yield cur
        cur = cur.parent


