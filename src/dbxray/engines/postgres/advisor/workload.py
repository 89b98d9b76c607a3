"""The workload to advise on: the statements that cost the most time, plus the ones the user names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dbxray.engines.postgres.advisor.hypo import PlanCost
from dbxray.engines.postgres.advisor.statement import ParsedStatement


@dataclass
class Statement:
    text: str
    query_id: str | None = None
    calls: int | None = None
    total_ms: float | None = None
    source: str = "pg_stat_statements"  # or "user"
    node: Any = None  # pglast raw statement
    parsed: ParsedStatement | None = None
    before: PlanCost | None = None
    skip: str | None = None  # why it is not advised on
    weight: float = 1.0
    all_used: set = field(default_factory=set)  # candidates the planner picked with all of them in place

    @property
    def label(self) -> str:
        return self.query_id or "user query"

    def tables(self) -> set[tuple[str, str]]:
        return self.parsed.tables() if self.parsed else set()


@dataclass
class Workload:
    statements: list[Statement] = field(default_factory=list)
    total_ms: float = 0.0  # all statements' time (for shares), not only the ones kept
    available: bool = True  # pg_stat_statements could be read


def from_snapshot(snap: Any, max_statements: int = 500) -> Workload:
    """Top statements by total (plan + execution) time, one entry per query id."""
    df = snap["statements"]
    if df is None or df.empty or "query" not in df:
        return Workload(available=False)
    df = df.loc[df["query"].notna() & (df["query"] != "<insufficient privilege>")].copy()
    df["total"] = df["total_exec_ms"].fillna(0) + (df["total_plan_ms"].fillna(0) if "total_plan_ms" in df else 0)
    grouped = (df.groupby("queryid", sort=False)
                 .agg(query=("query", "first"), calls=("calls", "sum"), total=("total", "sum"))
                 .sort_values("total", ascending=False))
    work = Workload(total_ms=float(grouped["total"].sum()))
    for qid, row in grouped.head(max_statements).iterrows():
        work.statements.append(Statement(text=str(row["query"]), query_id=str(qid), calls=int(row["calls"]),
                                         total_ms=float(row["total"]), weight=max(float(row["total"]), 1e-3)))
    return work


def add_user_queries(work: Workload, queries: Iterable[str]) -> None:
    """The user's statements: checked to be one SELECT/DML statement each; weighted like the heaviest one."""
    from dbxray.engines.postgres.guard import inspect_pg

    heaviest = max((s.weight for s in work.statements), default=1.0)
    for sql in queries:
        info = inspect_pg(sql)  # BadInput / UnsafeStatement for several statements, DDL, garbage
        work.statements.insert(0, Statement(text=info.text, source="user", weight=heaviest))
