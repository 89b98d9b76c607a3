"""Name resolution for the parser: what each FROM item is (a base table, a derived table, a CTE) and
which one a column reference names, nearest scope first."""

from __future__ import annotations

from dataclasses import dataclass, field

from dbxray.engines.postgres.advisor.statement import TableAccess


@dataclass
class Item:
    """Something in a FROM clause: a base table (``access``) or a derived table (``passthrough``)."""

    alias: str
    columns: set[str] | None  # None: unknown (a function, a table we could not resolve)
    access: TableAccess | None = None
    passthrough: dict[str, tuple[TableAccess, str]] = field(default_factory=dict)
    relname: str | None = None


@dataclass
class Cte:
    columns: list[str]
    passthrough: dict[str, tuple[TableAccess, str]]


class Scope:
    def __init__(self, parent: Scope | None):
        self.parent = parent
        self.items: list[Item] = []
        self.ctes: dict[str, Cte] = {}

    def cte(self, name: str) -> Cte | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None

    def lookup(self, fields: list[str]) -> tuple[Item, str] | None:
        """The item and column a reference names: nearest scope first, ambiguous names give None."""
        scope: Scope | None = self
        while scope is not None:
            hit = scope._find(fields)
            if hit is not None:
                return hit or None  # () means "found but ambiguous": stop looking outwards
            scope = scope.parent
        return None

    def _find(self, fields: list[str]) -> tuple[Item, str] | tuple | None:
        col = fields[-1]
        if len(fields) == 1:
            found = [i for i in self.items if i.columns is not None and col in i.columns]
            if len(found) == 1:
                return (found[0], col)
            return () if found else None
        qual = fields[-2]
        for item in self.items:
            if item.alias == qual or (len(fields) == 3 and item.relname == qual and item.access is not None
                                      and item.access.schema == fields[0]):
                return (item, col)
        return None
