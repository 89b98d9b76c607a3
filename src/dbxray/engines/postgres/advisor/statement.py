"""What a statement asks of each table: the predicates, joins, orderings and groupings an index could
serve, and the conditions no plain B-tree can (``parse`` fills it in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

EQUALITY = ("eq", "in", "null")


@dataclass(frozen=True)
class Relation:
    """What the parser needs to know of a table: its name and its columns."""

    schema: str
    name: str
    columns: tuple[str, ...]


Resolver = Callable[[str | None, str], Relation | None]


@dataclass
class ColumnUse:
    column: str
    kind: str  # eq | in | null | range | join | sort | group
    op: str | None = None  # =, <, >=, ..., "any" for = ANY($n) (an array parameter), "like"
    param: int | None = None  # the $n it is compared with (to fill in values for --verify)


@dataclass
class TableAccess:
    """One occurrence of a table in a statement and everything asked of it there."""

    schema: str
    table: str
    alias: str
    uses: list[ColumnUse] = field(default_factory=list)
    referenced: set[str] = field(default_factory=set)
    star: bool = False
    sort: list[tuple[str, bool]] = field(default_factory=list)  # the whole ORDER BY: (column, descending)
    sort_limited: bool = False  # ORDER BY ... LIMIT at the same level: an ordered index can stop early
    group: list[str] = field(default_factory=list)
    unoptimizable: list[str] = field(default_factory=list)

    def columns(self, *kinds: str) -> list[str]:
        """Distinct columns used with one of ``kinds``, in the order they appear."""
        out: list[str] = []
        for use in self.uses:
            if use.kind in kinds and use.column not in out:
                out.append(use.column)
        return out

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.table)


@dataclass
class ParsedStatement:
    text: str
    kind: str
    accesses: list[TableAccess] = field(default_factory=list)
    param_roles: dict[int, str] = field(default_factory=dict)  # $n -> "limit" | "offset"
    target: tuple[str, str] | None = None  # the table an INSERT/UPDATE/DELETE writes
    updated: list[str] = field(default_factory=list)  # columns an UPDATE sets

    @property
    def writes(self) -> bool:
        return self.kind != "SelectStmt"

    def tables(self) -> set[tuple[str, str]]:
        return {a.key for a in self.accesses}
