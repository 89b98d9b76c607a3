"""How the parser classifies a WHERE / ON condition: equality, IN, range, LIKE prefix, join key, or a
condition on an expression of a column that no plain B-tree can serve (kept, to say why)."""

from __future__ import annotations

from typing import Any

from dbxray.engines.postgres.advisor.scopes import Scope
from dbxray.engines.postgres.advisor.statement import ColumnUse
from dbxray.engines.postgres.guard import walk_ast

_OPS = {"=": "eq", "<": "range", ">": "range", "<=": "range", ">=": "range"}
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "="}


class Conditions:
    """The condition half of the analyzer (``walk.Analyzer``): it places columns with ``column()``,
    marks reads with ``walk()`` and analyses sublinks with ``statement()``."""

    def predicate(self, expr: Any, scope: Scope) -> None:
        """Classify one WHERE/ON condition (AND-ed parts one by one)."""
        from pglast import ast, enums

        if expr is None:
            return
        if isinstance(expr, ast.BoolExpr) and expr.boolop == enums.BoolExprType.AND_EXPR:
            for arg in expr.args:
                self.predicate(arg, scope)
            return
        if isinstance(expr, ast.SubLink) and expr.subLinkType == enums.SubLinkType.ANY_SUBLINK:
            self._in_subquery(expr, scope)
            return
        self.walk(expr, scope)
        if isinstance(expr, ast.A_Expr):
            self._a_expr(expr, scope)
        elif isinstance(expr, ast.NullTest):
            col = self.column(expr.arg, scope)
            if col and expr.nulltesttype == enums.NullTestType.IS_NULL:
                col[0].uses.append(ColumnUse(col[1], "null"))

    def _in_subquery(self, expr: Any, scope: Scope) -> tuple[Any, Any] | None:
        """``x IN (SELECT y ...)``: both x and y are join columns (a semi-join). Returns the two resolved
        columns (either may be None), or None for a comparison other than ``=``."""
        outputs = self.statement(expr.subselect, scope)
        self.walk(expr.testexpr, scope)
        if expr.operName and expr.operName[-1].sval != "=":
            return None
        left = self.column(expr.testexpr, scope)
        right = outputs[0][1] if len(outputs) == 1 else None
        for col in (left, right):
            if col:
                col[0].uses.append(ColumnUse(col[1], "join", "="))
                col[0].referenced.add(col[1])
        return left, right

    def _a_expr(self, expr: Any, scope: Scope) -> None:
        from pglast import enums

        kind = expr.kind
        op = expr.name[-1].sval if expr.name else ""
        K = enums.A_Expr_Kind
        if kind == K.AEXPR_OP and op in _OPS:
            self._comparison(expr, op, scope)
        elif kind == K.AEXPR_OP_ANY and op == "=":
            col = self.column(expr.lexpr, scope)
            if col and _constlike(expr.rexpr):
                col[0].uses.append(ColumnUse(col[1], "in", "any", param_of(expr.rexpr)))
            elif _has_column(expr.lexpr):
                self._unoptimizable(expr, expr.lexpr, scope)
        elif kind == K.AEXPR_IN and op == "=":
            col = self.column(expr.lexpr, scope)
            if col and _constlike(expr.rexpr):
                for item in expr.rexpr:
                    col[0].uses.append(ColumnUse(col[1], "in", "=", param_of(item)))
            elif _has_column(expr.lexpr):
                self._unoptimizable(expr, expr.lexpr, scope)
        elif kind in (K.AEXPR_BETWEEN, K.AEXPR_BETWEEN_SYM):
            col = self.column(expr.lexpr, scope)
            if col and _constlike(expr.rexpr):
                low, high = [*expr.rexpr, None, None][:2]
                col[0].uses.append(ColumnUse(col[1], "range", ">=", param_of(low)))
                col[0].uses.append(ColumnUse(col[1], "range", "<=", param_of(high)))
            elif _has_column(expr.lexpr):
                self._unoptimizable(expr, expr.lexpr, scope)
        elif kind == K.AEXPR_LIKE and op == "~~":
            col = self.column(expr.lexpr, scope)
            pattern = _string_const(expr.rexpr)
            if col and pattern and pattern[0] not in "%_":
                col[0].uses.append(ColumnUse(col[1], "range", "like"))
            elif _has_column(expr.lexpr):
                self._unoptimizable(expr, expr.lexpr, scope)
        elif (kind in (K.AEXPR_LIKE, K.AEXPR_ILIKE, K.AEXPR_SIMILAR) and not op.startswith("!")
              and _has_column(expr.lexpr)):
            self._unoptimizable(expr, expr.lexpr, scope)

    def _comparison(self, expr: Any, op: str, scope: Scope) -> None:
        from pglast import ast

        if isinstance(expr.lexpr, ast.RowExpr) and isinstance(expr.rexpr, ast.RowExpr):
            # (a, b) = ($1, $2) is a = $1 AND b = $2; (a, b) > ($1, $2) (keyset paging) ranges over a first
            pairs = list(zip(expr.lexpr.args or (), expr.rexpr.args or ()))
            for lhs, rhs in pairs if op == "=" else pairs[:1]:
                self._comparison(ast.A_Expr(kind=expr.kind, name=expr.name, lexpr=lhs, rexpr=rhs), op, scope)
            return
        left, right = self.column(expr.lexpr, scope), self.column(expr.rexpr, scope)
        if left and right:
            if op == "=" and left[0] is not right[0]:
                for access, col in (left, right):
                    access.uses.append(ColumnUse(col, "join", "="))
            return
        if op == "=" and (left or right) and isinstance(expr.rexpr if left else expr.lexpr, ast.ColumnRef):
            # joined to a column we cannot trace to a table (a materialized CTE, a function): still a join key
            access, col = left or right
            access.uses.append(ColumnUse(col, "join", "="))
            return
        if left and _constlike(expr.rexpr):
            left[0].uses.append(ColumnUse(left[1], _OPS[op], op, param_of(expr.rexpr)))
        elif right and _constlike(expr.lexpr):
            right[0].uses.append(ColumnUse(right[1], _OPS[op], _FLIP[op], param_of(expr.lexpr)))
        elif _constlike(expr.rexpr) and _has_column(expr.lexpr):
            self._unoptimizable(expr, expr.lexpr, scope)
        elif _constlike(expr.lexpr) and _has_column(expr.rexpr):
            self._unoptimizable(expr, expr.rexpr, scope)

    def _unoptimizable(self, expr: Any, side: Any, scope: Scope) -> None:
        """A condition on an expression of a column (or a leading-wildcard pattern): no plain B-tree helps."""
        from pglast import ast
        from pglast.stream import RawStream

        refs = [n for n in walk_ast(side) if isinstance(n, ast.ColumnRef)]
        bases = {id(b[0]): b[0] for b in (self.column(r, scope) for r in refs) if b}
        try:
            text = RawStream()(expr)
        except Exception:
            text = "an expression"
        for access in bases.values():
            access.unoptimizable.append(text)


def _has_column(expr: Any) -> bool:
    from pglast import ast

    return any(isinstance(n, ast.ColumnRef) for n in walk_ast(expr) if not isinstance(n, ast.SubLink))


def _constlike(expr: Any) -> bool:
    """No column of this query level in it: a constant, a parameter, now(), a scalar subquery..."""
    from pglast import ast

    if expr is None:
        return False
    stack = [expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, (list, tuple)):
            stack.extend(cur)
        elif isinstance(cur, ast.SubLink):
            continue  # an InitPlan: evaluated once, usable as an index key
        elif isinstance(cur, ast.ColumnRef):
            return False
        elif isinstance(cur, ast.Node):
            for attr in cur.__slots__:
                value = getattr(cur, attr, None)
                if isinstance(value, (ast.Node, list, tuple)):
                    stack.append(value)
    return True


def param_of(expr: Any) -> int | None:
    from pglast import ast

    while isinstance(expr, ast.TypeCast):
        expr = expr.arg
    return expr.number if isinstance(expr, ast.ParamRef) else None


def _string_const(expr: Any) -> str | None:
    from pglast import ast

    while isinstance(expr, ast.TypeCast):
        expr = expr.arg
    if isinstance(expr, ast.A_Const) and isinstance(expr.val, ast.String):
        return expr.val.sval
    return None


def descending(sortby: Any) -> bool:
    from pglast import enums

    return sortby.sortby_dir == enums.SortByDir.SORTBY_DESC
