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

_RANGE_OPS = {"<", ">", "<=", ">="}


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


def pg_predicates(expression: str | None) -> Predicates | None:
    """The servable terms of a PostgreSQL filter; None when the text cannot be parsed."""
    if not expression:
        return None
    import pglast
    from pglast import ast

    try:
        stmts = pglast.parse_sql(f"SELECT 1 WHERE {expression}")
    except Exception:  # plan text such as "(hashed SubPlan 1)" is not SQL
        return None
    where = stmts[0].stmt.whereClause
    out = Predicates()
    for term in _pg_conjuncts(where, ast):
        kind_col = _pg_term(term, ast)
        if kind_col:
            out.add(*kind_col)
        else:
            out.other += 1
    return out


def _pg_conjuncts(node, ast):
    if isinstance(node, ast.BoolExpr) and node.boolop == 0:  # AND_EXPR
        for arg in node.args:
            yield from _pg_conjuncts(arg, ast)
    else:
        yield node


def _pg_column(node, ast) -> str | None:
    while isinstance(node, ast.TypeCast):  # (status)::text = 'x'::text: an implicit, index-safe cast
        node = node.arg
    if isinstance(node, ast.ColumnRef) and node.fields and isinstance(node.fields[-1], ast.String):
        return node.fields[-1].sval
    return None


def _pg_constant(node, ast) -> bool:
    """No column inside: a literal, a parameter, or an expression of those (``now() - '1 day'``)."""
    from dbxray.sqlguard import walk_ast

    if isinstance(node, ast.ColumnRef):
        return False
    return not any(isinstance(sub, (ast.ColumnRef, ast.SubLink)) for sub in walk_ast(node))


def _pg_term(term, ast) -> tuple[str, str] | None:
    if isinstance(term, ast.NullTest):
        col = _pg_column(term.arg, ast)
        return ("eq", col) if col and term.nulltesttype == 0 else None
    if not isinstance(term, ast.A_Expr):
        return None
    op = term.name[-1].sval if term.name else ""
    kind = getattr(term.kind, "name", str(term.kind))
    left, right = _pg_column(term.lexpr, ast), _pg_column(term.rexpr, ast) if term.rexpr is not None else None
    if kind == "AEXPR_OP":
        if left and right is None and term.rexpr is not None and _pg_constant(term.rexpr, ast):
            col = left
        elif right and left is None and term.lexpr is not None and _pg_constant(term.lexpr, ast):
            col = right
        else:
            return None
        if op == "=":
            return ("eq", col)
        return ("range", col) if op in _RANGE_OPS else None
    if kind == "AEXPR_OP_ANY" and op == "=" and left and _pg_constant(term.rexpr, ast):  # col = ANY('{..}')
        return ("eq", left)
    if kind == "AEXPR_IN" and op == "=" and left:
        return ("eq", left)
    if kind == "AEXPR_BETWEEN" and left:
        return ("range", left)
    return None


def mysql_predicates(expression: str | None) -> Predicates | None:
    """The servable terms of a MySQL/MariaDB ``attached_condition`` (sqlglot, MySQL dialect)."""
    if not expression:
        return None
    import sqlglot
    from sqlglot import exp

    text = expression.replace("<cache>", "")
    try:
        tree = sqlglot.parse_one(f"SELECT 1 WHERE {text}", read="mysql")
    except Exception:
        return None
    where = tree.args.get("where")
    if where is None:
        return None
    out = Predicates()
    for term in _mysql_conjuncts(where.this, exp):
        kind_col = _mysql_term(term, exp)
        if kind_col:
            out.add(*kind_col)
        else:
            out.other += 1
    return out


def _mysql_conjuncts(node, exp):
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        yield from _mysql_conjuncts(node.this, exp)
        yield from _mysql_conjuncts(node.expression, exp)
    else:
        yield node


def _mysql_column(node, exp) -> str | None:
    while isinstance(node, exp.Paren):
        node = node.this
    return node.name if isinstance(node, exp.Column) else None


def _mysql_constant(node, exp) -> bool:
    return node is not None and not isinstance(node, exp.Column) and node.find(exp.Column) is None


def _mysql_term(term, exp) -> tuple[str, str] | None:
    while isinstance(term, exp.Paren):
        term = term.this
    if isinstance(term, exp.Is) and isinstance(term.expression, exp.Null):
        col = _mysql_column(term.this, exp)
        return ("eq", col) if col else None
    if isinstance(term, exp.In):
        col = _mysql_column(term.this, exp)
        return ("eq", col) if col and not term.args.get("query") else None
    if isinstance(term, exp.Between):
        col = _mysql_column(term.this, exp)
        return ("range", col) if col else None
    kinds = {exp.EQ: "eq", exp.NullSafeEQ: "eq", exp.GT: "range", exp.GTE: "range", exp.LT: "range",
             exp.LTE: "range"}
    for cls, kind in kinds.items():
        if type(term) is cls:
            left, right = _mysql_column(term.this, exp), _mysql_column(term.expression, exp)
            if left and _mysql_constant(term.expression, exp):
                return (kind, left)
            if right and _mysql_constant(term.this, exp):
                return (kind, right)
    return None
