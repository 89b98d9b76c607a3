"""Columns a PostgreSQL plan condition compares with constants (pglast), for the plan rules."""

from __future__ import annotations

from dbxray.plans.predicates import RANGE_OPS, Predicates


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
    from dbxray.engines.postgres.guard import walk_ast

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
        return ("range", col) if op in RANGE_OPS else None
    if kind == "AEXPR_OP_ANY" and op == "=" and left and _pg_constant(term.rexpr, ast):  # col = ANY('{..}')
        return ("eq", left)
    if kind == "AEXPR_IN" and op == "=" and left:
        return ("eq", left)
    if kind == "AEXPR_BETWEEN" and left:
        return ("range", left)
    return None


