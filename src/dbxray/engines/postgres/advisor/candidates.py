"""Candidate B-tree indexes for one table access, ordered the way the statistics say.

Equality columns come first, most selective first (``pg_stats`` n_distinct and null_frac),
then one range or sort column; Dexter's lesson is that the best shape is not always the widest,
so a few alternative shapes are offered and the planner (HypoPG) chooses among them. A shape
an existing index already serves (as its leading columns) is never a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dbxray.engines.postgres.advisor.catalog import ExistingIndex, TableInfo, selectivity
from dbxray.engines.postgres.advisor.statement import EQUALITY, TableAccess
from dbxray.engines.postgres.quoting import pg_ident


@dataclass(frozen=True)
class Candidate:
    schema: str
    table: str
    columns: tuple[str, ...]
    include: tuple[str, ...] = ()
    n_eq: int = field(default=0, compare=False)  # leading columns compared by equality (their order is free)

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.table)

    @property
    def width(self) -> int:
        return len(self.columns) + len(self.include)

    def label(self) -> str:
        inc = f" INCLUDE ({', '.join(self.include)})" if self.include else ""
        return f"{self.schema}.{self.table} ({', '.join(self.columns)}){inc}"

    def ddl(self, concurrently: bool = True) -> str:
        """``CREATE INDEX [CONCURRENTLY] ON schema.table (cols) [INCLUDE (...)]``; the server names it."""
        cols = ", ".join(pg_ident(c) for c in self.columns)
        inc = f" INCLUDE ({', '.join(pg_ident(c) for c in self.include)})" if self.include else ""
        conc = " CONCURRENTLY" if concurrently else ""
        return f"CREATE INDEX{conc} ON {pg_ident(self.schema, self.table)} ({cols}){inc}"


def candidates_for(access: TableAccess, info: TableInfo, max_columns: int = 3, max_include: int = 3,
                   select: bool = True) -> list[Candidate]:
    """The shapes worth proving for one access, best guess first, none an existing index covers."""
    ok = info.btree_ok
    eq = [c for c in access.columns(*EQUALITY) if ok(c)]
    kinds = {u.column: u.kind for u in access.uses if u.kind in EQUALITY}
    eq = _by_selectivity(info, eq, kinds, max_columns)
    joins = [c for c in access.columns("join") if ok(c) and c not in eq]
    ranges = [c for c in access.columns("range") if ok(c) and c not in eq]
    # the finest-grained range column first; among equals, the one in physical order (cheap heap reads)
    ranges.sort(key=lambda c: (selectivity(info, c, "eq"), -abs(_stat(info, c, "correlation") or 0.0)))
    sort = [c for c, _ in access.sort] if len({d for _, d in access.sort}) <= 1 else []
    sort = [c for c in sort if c not in eq]
    if not all(ok(c) for c in sort):
        sort = []
    group = [c for c in access.group if ok(c) and c not in eq]

    shapes: list[tuple[list[str], int]] = []
    if eq:
        shapes.append((eq, len(eq)))
    if ranges:
        if eq:
            shapes.append(([*eq, ranges[0]], len(eq)))
        shapes.append(([ranges[0]], 0))
    if sort and (access.sort_limited or eq):
        shapes.append(([*eq, *sort], len(eq)))
    for j in joins:
        shapes.append(([j], 1))
        if eq:
            shapes.append(([*eq, j], len(eq) + 1))
    if len(eq) > 1:
        shapes.append(([eq[0]], 1))
    if group and not eq and not ranges:
        shapes.append((group, 0))

    out: list[Candidate] = []
    for cols, n_eq in shapes:
        cols = cols[:max_columns]
        cand = Candidate(info.schema, info.name, tuple(cols), (), min(n_eq, len(cols)))
        if cand not in out:
            out.append(cand)
    if out and select and not access.star:
        first = out[0]
        rest = tuple(sorted(access.referenced - set(first.columns)))
        if 0 < len(rest) <= max_include and all(c in info.types for c in rest):
            out.append(Candidate(first.schema, first.table, first.columns, rest, first.n_eq))
    return [c for c in out if not any(covers(ix, c) for ix in info.indexes)]


def _by_selectivity(info: TableInfo, cols: list[str], kinds: dict[str, str], max_columns: int) -> list[str]:
    """Most selective first; stop after a column that already narrows to about one row (PgHero's rule)."""
    # ties (same n_distinct) go to the column without a dominant value: its lookups are uniformly cheap
    ranked = sorted(cols, key=lambda c: (selectivity(info, c, kinds.get(c, "eq")), _stat(info, c, "top_freq") or 0.0))
    out: list[str] = []
    rows = max(info.rows, 1.0)
    for col in ranked[:max_columns]:
        out.append(col)
        rows *= selectivity(info, col, kinds.get(col, "eq"))
        if rows <= 1.5:
            break
    return out


def _stat(info: TableInfo, column: str, name: str) -> float | None:
    st = info.stats.get(column)
    return getattr(st, name) if st else None


def covers(index: ExistingIndex, cand: Candidate) -> bool:
    """Does this existing index already serve the candidate (same columns leading, no predicate)?"""
    if not index.valid or index.partial:
        return False
    if index.method == "hash":
        return (len(cand.columns) == 1 and cand.n_eq == 1 and not cand.include
                and index.columns == (cand.columns[0],))
    if index.method != "btree":
        return False
    k = len(cand.columns)
    head = index.columns[:k]
    if len(head) < k or None in head:
        return False
    n_eq = cand.n_eq
    if set(head[:n_eq]) != set(cand.columns[:n_eq]) or tuple(head[n_eq:]) != cand.columns[n_eq:]:
        return False
    return set(cand.include) <= {c for c in (*index.columns, *index.include) if c}
