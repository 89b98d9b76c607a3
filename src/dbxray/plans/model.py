"""The one plan tree every engine's EXPLAIN output is parsed into.

Times are in milliseconds and, like PostgreSQL's, *per loop* as the engine reported them;
``analyze.annotate`` derives the wall-clock figures (loops and parallel workers accounted
for) so rules and renderers never redo that arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Node:
    """One plan node. ``raw`` keeps the engine's own fields for rules that need more."""

    node_id: int
    node_type: str
    relation: str | None = None
    schema: str | None = None
    alias: str | None = None
    index: str | None = None
    startup_cost: float | None = None
    total_cost: float | None = None
    plan_rows: float | None = None
    plan_width: int | None = None
    actual_rows: float | None = None  # per loop
    actual_loops: float | None = None
    actual_startup_ms: float | None = None  # per loop
    actual_total_ms: float | None = None  # per loop
    filter: str | None = None
    index_cond: str | None = None
    recheck_cond: str | None = None
    join_filter: str | None = None
    rows_removed_by_filter: float | None = None  # per loop
    rows_removed_by_recheck: float | None = None  # per loop
    rows_removed_by_join_filter: float | None = None  # per loop
    buffers: dict[str, float] = field(default_factory=dict)
    workers_planned: int | None = None
    workers_launched: int | None = None
    parent_relationship: str | None = None
    subplan_name: str | None = None
    cte_name: str | None = None
    detail: str = ""  # one short line for the tree (join type, sort key, condition)
    children: list[Node] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    # derived by analyze.annotate()
    depth: int = 0
    parent: Node | None = field(default=None, repr=False)
    total_ms: float | None = None  # wall-clock time of this node including its children
    self_ms: float | None = None  # exclusive time
    self_pct: float | None = None
    self_cost: float | None = None  # exclusive cost: the hot-spot measure of a plan that did not run
    processes: int = 1  # leader + launched workers running this node in parallel
    on_hot_path: bool = False
    may_stop_early: bool = False  # below a Limit, Merge Join, semi/anti join or subplan: may be cut short

    @property
    def analysed(self) -> bool:
        return self.actual_loops is not None

    @property
    def never_executed(self) -> bool:
        return self.actual_loops is not None and self.actual_loops == 0

    @property
    def loops(self) -> float:
        return self.actual_loops if self.actual_loops else 0.0

    @property
    def rows_total(self) -> float | None:
        """Rows this node produced over all its loops."""
        if self.actual_rows is None:
            return None
        return self.actual_rows * max(self.loops, 1.0 if self.actual_loops is None else self.loops)

    def removed_total(self, which: str = "filter") -> float:
        per_loop = getattr(self, f"rows_removed_by_{which}") or 0.0
        return per_loop * max(self.loops, 1.0)

    def walk(self) -> Iterator[Node]:
        """Depth-first, parents before children, without recursion (plans can be deep)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def label(self) -> str:
        """``Seq Scan on public.orders o`` — how a DBA names a node."""
        text = self.node_type
        if self.relation:
            rel = f"{self.schema}.{self.relation}" if self.schema else self.relation
            text += f" on {rel}"
            if self.alias and self.alias != self.relation:
                text += f" {self.alias}"
        if self.index:
            text += f" using {self.index}"
        if self.subplan_name:
            text = f"{self.subplan_name}: {text}"
        return text


@dataclass(eq=False)
class Plan:
    """A whole plan: the root node plus statement-level facts (timings, JIT, settings)."""

    root: Node
    engine: str  # "postgres" | "mysql"
    flavor: str  # "postgres" | "mariadb" | "mysql"
    source_format: str  # "pg-json" | "pg-text" | "mariadb-json" | "mysql-json" | "mysql-json-v2" | "mysql-tree"
    planning_ms: float | None = None
    execution_ms: float | None = None
    jit: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    triggers: list[dict[str, Any]] = field(default_factory=list)
    statement: str | None = None  # the SQL, when known
    raw: Any = field(default=None, repr=False)
    # what the engine measured around an analysed run (MySQL: session status deltas such as
    # created_tmp_disk_tables, TEXT/BLOB columns of the statement's tables); empty when unknown
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def analysed(self) -> bool:
        return self.root.analysed

    def nodes(self) -> list[Node]:
        return list(self.root.walk())

    def total_ms(self) -> float | None:
        """What the statement cost the user: planning + execution (or the root's time)."""
        execution = self.execution_ms if self.execution_ms is not None else self.root.total_ms
        if execution is None:
            return None
        return execution + (self.planning_ms or 0.0)

    @property
    def total_cost(self) -> float | None:
        return self.root.total_cost

    def node(self, node_id: int) -> Node:
        for n in self.root.walk():
            if n.node_id == node_id:
                return n
        raise KeyError(node_id)


@dataclass(frozen=True)
class StatementInfo:
    text: str  # the statement without a trailing semicolon
    kind: str  # the parser's node name: SelectStmt, UpdateStmt, ...
    writes: bool  # would executing it change data (DML, SELECT ... FOR UPDATE / INTO, data-modifying CTEs)
    parameters: int  # highest $n placeholder
