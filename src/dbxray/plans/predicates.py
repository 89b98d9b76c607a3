"""Which columns of a scan's filter a B-tree could serve, read with the engines' own parsers.

A plan's ``Filter`` is an expression, not a statement: we parse it as the WHERE clause of a
dummy ``SELECT`` (pglast for PostgreSQL, sqlglot for MySQL/MariaDB) and keep only the
top-level AND terms a B-tree can use: ``col = const``, ``col IN (...)``, ``col IS NULL``
(equality, first in an index) and ``col < const`` / ``BETWEEN`` (range, last). A function
of the column, ``LIKE``, a comparison with another column or an ``OR`` is not servable by
a plain B-tree on the column, so it is left out (and a filter of only such terms gets no
index suggestion).
"""

from __future__ import annotations

from dataclasses import dataclass, field

RANGE_OPS = {"<", ">", "<=", ">="}


@dataclass
class Predicates:
    equality: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    other: int = 0  # terms no B-tree on a plain column serves

    @property
    def columns(self) -> list[str]:
        """Index column order: equality columns first, then one range column."""
        out = list(dict.fromkeys(self.equality))
        for col in self.range:
            if col not in out:
                out.append(col)
                break
        return out

    def add(self, kind: str, column: str) -> None:
        target = self.equality if kind == "eq" else self.range
        if column not in target:
            target.append(column)
