"""Columns a MySQL/MariaDB plan condition compares with constants (sqlglot), for the plan rules."""

from __future__ import annotations

from dbxray.plans.predicates import Predicates


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
