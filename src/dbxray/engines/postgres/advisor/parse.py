"""Statement -> what each table is asked for: the predicates and orderings an index could serve.

Parsing is PostgreSQL's own (pglast). Column references are placed through aliases, joins,
subqueries, CTEs and correlated sublinks, and against the catalog: an unqualified column in a
join can only be placed by knowing which table has it. Predicates a B-tree cannot serve
(``LIKE '%x'``, a function of the column) are kept apart so the advisor can say why it
suggests nothing for them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dbxray.engines.postgres.guard import walk_ast

EQUALITY = ("eq", "in", "null")
_OPS = {"=": "eq", "<": "range", ">": "range", "<=": "range", ">=": "range"}
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "="}
_READ_KINDS = {"SelectStmt", "UpdateStmt", "DeleteStmt", "InsertStmt"}


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


def parse(sql: str) -> Any:
    """The raw statement node of one statement (pglast), or raise ValueError with the reason."""
    import pglast

    try:
        stmts = pglast.parse_sql(sql)
    except pglast.parser.ParseError as exc:
        raise ValueError(f"cannot parse: {exc}") from None
    if len(stmts) != 1:
        raise ValueError(f"{len(stmts)} statements")
    node = stmts[0].stmt
    if type(node).__name__ not in _READ_KINDS:
        raise ValueError(f"{type(node).__name__} is not a query")
    return node


def relation_names(node: Any) -> set[tuple[str | None, str]]:
    """Every (schema, name) a statement mentions in FROM/JOIN/UPDATE/DELETE (CTE names included)."""
    from pglast import ast

    return {(n.schemaname, n.relname) for n in walk_ast(node) if isinstance(n, ast.RangeVar)}


def analyze(node: Any, text: str, resolve: Resolver) -> ParsedStatement:
    """Place every predicate of ``node`` on the table it filters."""
    az = _Analyzer(resolve, node)
    out = ParsedStatement(text=text, kind=type(node).__name__)
    az.statement(node, None, out)
    out.accesses = az.accesses
    out.param_roles = az.param_roles
    return out


# -- scopes ---------------------------------------------------------------------------------------

@dataclass
class _Item:
    """Something in a FROM clause: a base table (``access``) or a derived table (``passthrough``)."""

    alias: str
    columns: set[str] | None  # None: unknown (a function, a table we could not resolve)
    access: TableAccess | None = None
    passthrough: dict[str, tuple[TableAccess, str]] = field(default_factory=dict)
    relname: str | None = None


@dataclass
class _Cte:
    columns: list[str]
    passthrough: dict[str, tuple[TableAccess, str]]


class _Scope:
    def __init__(self, parent: _Scope | None):
        self.parent = parent
        self.items: list[_Item] = []
        self.ctes: dict[str, _Cte] = {}

    def cte(self, name: str) -> _Cte | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None

    def lookup(self, fields: list[str]) -> tuple[_Item, str] | None:
        """The item and column a reference names: nearest scope first, ambiguous names give None."""
        scope: _Scope | None = self
        while scope is not None:
            hit = scope._find(fields)
            if hit is not None:
                return hit or None  # () means "found but ambiguous": stop looking outwards
            scope = scope.parent
        return None

    def _find(self, fields: list[str]) -> tuple[_Item, str] | tuple | None:
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


# -- the walk ------------------------------------------------------------------------------------

class _Analyzer:
    def __init__(self, resolve: Resolver, root: Any):
        from pglast import ast

        self.resolve = resolve
        self.accesses: list[TableAccess] = []
        self.param_roles: dict[int, str] = {}
        # a CTE referenced more than once is materialized: predicates outside cannot reach its tables
        self.cte_refs = Counter(n.relname for n in walk_ast(root) if isinstance(n, ast.RangeVar) and not n.schemaname)

    # statements
    def statement(self, node: Any, parent: _Scope | None, out: ParsedStatement | None = None) -> list:
        kind = type(node).__name__
        if kind == "SelectStmt":
            return self.select(node, parent)
        scope = _Scope(parent)
        if getattr(node, "withClause", None):
            self.with_clause(node.withClause, scope)
        if kind == "InsertStmt":
            if out is not None:
                out.target = self._target(node.relation)
            if node.selectStmt is not None:
                self.select(node.selectStmt, scope)
            return []
        if kind not in ("UpdateStmt", "DeleteStmt"):
            return []
        quals: list[Any] = []
        self.from_item(node.relation, scope, quals)
        for item in (node.fromClause if kind == "UpdateStmt" else node.usingClause) or ():
            self.from_item(item, scope, quals)
        if out is not None:
            out.target = self._target(node.relation)
        for q in [*quals, node.whereClause]:
            self.predicate(q, scope)
        if kind == "UpdateStmt":
            for rt in node.targetList or ():
                if out is not None and rt.name:
                    out.updated.append(rt.name)
                self.walk(rt.val, scope)
        return []

    def _target(self, rangevar: Any) -> tuple[str, str] | None:
        rel = self.resolve(rangevar.schemaname, rangevar.relname)
        return (rel.schema, rel.name) if rel else None

    def with_clause(self, with_clause: Any, scope: _Scope) -> None:
        from pglast import enums

        for cte in with_clause.ctes or ():
            name = cte.ctename
            if with_clause.recursive:
                scope.ctes[name] = _Cte([], {})  # self-references see an opaque relation
            outputs = self.statement(cte.ctequery, scope)
            names = [c.sval for c in cte.aliascolnames] if cte.aliascolnames else [o[0] for o in outputs]
            opaque = (with_clause.recursive or cte.ctematerialized == enums.CTEMaterialize.CTEMaterializeAlways
                      or self.cte_refs[name] > 1 or type(cte.ctequery).__name__ != "SelectStmt")
            passthrough = {} if opaque else {n: o[1] for n, o in zip(names, outputs) if o[1] is not None}
            scope.ctes[name] = _Cte(names, passthrough)

    def select(self, node: Any, parent: _Scope | None) -> list[tuple[str, tuple[TableAccess, str] | None]]:
        """Analyse one SELECT; return its output columns and the base column each one passes through."""
        from pglast import enums

        if node.op != enums.SetOperation.SETOP_NONE:
            scope = _Scope(parent)
            if node.withClause:
                self.with_clause(node.withClause, scope)
            left = self.select(node.larg, scope)
            self.select(node.rarg, scope)
            return [(name, None) for name, _ in left]  # a union's output is not one table's column
        scope = _Scope(parent)
        if node.withClause:
            self.with_clause(node.withClause, scope)
        if node.valuesLists:
            self.walk(node.valuesLists, scope)
            return []
        quals: list[Any] = []
        for item in node.fromClause or ():
            self.from_item(item, scope, quals)
        for q in [*quals, node.whereClause]:
            self.predicate(q, scope)
        outputs = self.targets(node.targetList or (), scope)
        self.walk(node.havingClause, scope)
        self.order_and_group(node, scope)
        for role, expr in (("limit", node.limitCount), ("offset", node.limitOffset)):
            number = _param_of(expr)
            if number:
                self.param_roles[number] = role
        opaque = bool(node.limitCount or node.limitOffset or node.distinctClause or node.windowClause)
        return [(name, None if opaque else base) for name, base in outputs]

    def targets(self, targets: Any, scope: _Scope) -> list[tuple[str, tuple[TableAccess, str] | None]]:
        from pglast import ast

        outputs: list[tuple[str, tuple[TableAccess, str] | None]] = []
        for rt in targets:
            val = rt.val
            if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
                outputs.extend(self.star(val, scope))
                continue
            self.walk(val, scope)
            base = self.column(val, scope)
            name = rt.name or (val.fields[-1].sval if isinstance(val, ast.ColumnRef) else "?column?")
            outputs.append((name, base))
        return outputs

    def star(self, ref: Any, scope: _Scope) -> list[tuple[str, tuple[TableAccess, str] | None]]:
        qual = [f.sval for f in ref.fields[:-1]]
        items = [i for i in scope.items if not qual or i.alias == qual[-1]]
        out: list[tuple[str, tuple[TableAccess, str] | None]] = []
        for item in items:
            if item.access is not None:
                item.access.star = True
                out.extend((c, (item.access, c)) for c in sorted(item.columns or ()))
            else:
                for c in sorted(item.columns or ()):
                    base = item.passthrough.get(c)
                    if base:
                        base[0].referenced.add(base[1])
                    out.append((c, base))
        return out

    def order_and_group(self, node: Any, scope: _Scope) -> None:
        targets = list(node.targetList or ())
        sort = [(self._sort_key(s.node, targets, scope), _descending(s)) for s in node.sortClause or ()]
        for s in node.sortClause or ():
            self.walk(s.node, scope)
        if sort and all(k is not None for k, _ in sort) and len({id(k[0]) for k, _ in sort}) == 1:
            access = sort[0][0][0]
            access.sort = [(k[1], desc) for k, desc in sort]
            access.sort_limited = node.limitCount is not None
            for k, _ in sort:
                access.uses.append(ColumnUse(k[1], "sort"))
        group = [self._sort_key(g, targets, scope) for g in node.groupClause or ()]
        for g in node.groupClause or ():
            self.walk(g, scope)
        if group and all(k is not None for k in group) and len({id(k[0]) for k in group}) == 1:
            access = group[0][0]
            access.group = [k[1] for k in group]
            for k in group:
                access.uses.append(ColumnUse(k[1], "group"))

    def _sort_key(self, expr: Any, targets: list, scope: _Scope) -> tuple[TableAccess, str] | None:
        """ORDER BY / GROUP BY item -> base column: a column, an output position, or an output alias."""
        from pglast import ast

        if isinstance(expr, ast.A_Const) and isinstance(expr.val, ast.Integer):
            pos = expr.val.ival
            return self.column(targets[pos - 1].val, scope) if 0 < pos <= len(targets) else None
        if isinstance(expr, ast.ColumnRef) and len(expr.fields) == 1 and isinstance(expr.fields[0], ast.String):
            named = [t for t in targets if t.name == expr.fields[0].sval]
            if named:
                return self.column(named[0].val, scope)
        return self.column(expr, scope)

    def from_item(self, node: Any, scope: _Scope, quals: list[Any]) -> None:
        from pglast import ast

        if isinstance(node, ast.RangeVar):
            alias = node.alias.aliasname if node.alias else node.relname
            cte = None if node.schemaname else scope.cte(node.relname)
            if cte is not None:
                scope.items.append(_Item(alias, set(cte.columns), passthrough=cte.passthrough, relname=node.relname))
                return
            rel = self.resolve(node.schemaname, node.relname)
            if rel is None:
                scope.items.append(_Item(alias, None, relname=node.relname))
                return
            access = TableAccess(rel.schema, rel.name, alias)
            self.accesses.append(access)
            scope.items.append(_Item(alias, set(rel.columns), access=access, relname=rel.name))
        elif isinstance(node, ast.RangeSubselect):
            outputs = self.select(node.subquery, scope)
            names = [o[0] for o in outputs]
            if node.alias and node.alias.colnames:
                names = [c.sval for c in node.alias.colnames] + names[len(node.alias.colnames):]
            passthrough = {n: o[1] for n, o in zip(names, outputs) if o[1] is not None}
            alias = node.alias.aliasname if node.alias else ""
            scope.items.append(_Item(alias, set(names), passthrough=passthrough))
        elif isinstance(node, ast.JoinExpr):
            start = len(scope.items)
            self.from_item(node.larg, scope, quals)
            middle = len(scope.items)
            self.from_item(node.rarg, scope, quals)
            if node.quals is not None:
                quals.append(node.quals)
            for name in node.usingClause or ():
                left = self._using_side(scope.items[start:middle], name.sval)
                right = self._using_side(scope.items[middle:], name.sval)
                if left and right:
                    for access, col in (left, right):
                        access.uses.append(ColumnUse(col, "join"))
                        access.referenced.add(col)
        else:  # functions, VALUES, XMLTABLE...: unknown columns
            alias = getattr(getattr(node, "alias", None), "aliasname", None) or ""
            scope.items.append(_Item(alias, None))

    @staticmethod
    def _using_side(items: list[_Item], col: str) -> tuple[TableAccess, str] | None:
        for item in items:
            if item.columns and col in item.columns:
                return (item.access, col) if item.access else item.passthrough.get(col)
        return None

    # expressions
    def column(self, expr: Any, scope: _Scope) -> tuple[TableAccess, str] | None:
        """The base-table column a plain column reference names, or None."""
        from pglast import ast

        if not isinstance(expr, ast.ColumnRef) or not all(isinstance(f, ast.String) for f in expr.fields):
            return None
        hit = scope.lookup([f.sval for f in expr.fields])
        if hit is None:
            return None
        item, col = hit
        if item.access is not None:
            return (item.access, col) if item.columns is None or col in item.columns else None
        return item.passthrough.get(col)

    def walk(self, expr: Any, scope: _Scope) -> None:
        """Mark every column an expression reads; analyse the sublinks inside it."""
        from pglast import ast

        stack = [expr]
        while stack:
            cur = stack.pop()
            if cur is None:
                continue
            if isinstance(cur, (list, tuple)):
                stack.extend(cur)
            elif isinstance(cur, ast.SubLink):
                self.statement(cur.subselect, scope)
                stack.append(cur.testexpr)
            elif isinstance(cur, ast.ColumnRef):
                if isinstance(cur.fields[-1], ast.A_Star):
                    self.star(cur, scope)
                    continue
                base = self.column(cur, scope)
                if base:
                    base[0].referenced.add(base[1])
            elif isinstance(cur, ast.Node):
                for attr in cur.__slots__:
                    value = getattr(cur, attr, None)
                    if isinstance(value, (ast.Node, list, tuple)):
                        stack.append(value)

    def predicate(self, expr: Any, scope: _Scope) -> None:
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

    def _in_subquery(self, expr: Any, scope: _Scope) -> None:
        """``x IN (SELECT y ...)``: both x and y are join columns (a semi-join)."""
        outputs = self.statement(expr.subselect, scope)
        self.walk(expr.testexpr, scope)
        if expr.operName and expr.operName[-1].sval != "=":
            return
        left = self.column(expr.testexpr, scope)
        right = outputs[0][1] if len(outputs) == 1 else None
        for col in (left, right):
            if col:
                col[0].uses.append(ColumnUse(col[1], "join", "="))
                col[0].referenced.add(col[1])

    def _a_expr(self, expr: Any, scope: _Scope) -> None:
        from pglast import enums

        kind = expr.kind
        op = expr.name[-1].sval if expr.name else ""
        K = enums.A_Expr_Kind
        if kind == K.AEXPR_OP and op in _OPS:
            self._comparison(expr, op, scope)
        elif kind == K.AEXPR_OP_ANY and op == "=":
            col = self.column(expr.lexpr, scope)
            if col and _constlike(expr.rexpr):
                col[0].uses.append(ColumnUse(col[1], "in", "any", _param_of(expr.rexpr)))
            elif _has_column(expr.lexpr):
                self._unoptimizable(expr, expr.lexpr, scope)
        elif kind == K.AEXPR_IN and op == "=":
            col = self.column(expr.lexpr, scope)
            if col and _constlike(expr.rexpr):
                for item in expr.rexpr:
                    col[0].uses.append(ColumnUse(col[1], "in", "=", _param_of(item)))
            elif _has_column(expr.lexpr):
                self._unoptimizable(expr, expr.lexpr, scope)
        elif kind in (K.AEXPR_BETWEEN, K.AEXPR_BETWEEN_SYM):
            col = self.column(expr.lexpr, scope)
            if col and _constlike(expr.rexpr):
                low, high = [*expr.rexpr, None, None][:2]
                col[0].uses.append(ColumnUse(col[1], "range", ">=", _param_of(low)))
                col[0].uses.append(ColumnUse(col[1], "range", "<=", _param_of(high)))
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

    def _comparison(self, expr: Any, op: str, scope: _Scope) -> None:
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
            left[0].uses.append(ColumnUse(left[1], _OPS[op], op, _param_of(expr.rexpr)))
        elif right and _constlike(expr.lexpr):
            right[0].uses.append(ColumnUse(right[1], _OPS[op], _FLIP[op], _param_of(expr.lexpr)))
        elif _constlike(expr.rexpr) and _has_column(expr.lexpr):
            self._unoptimizable(expr, expr.lexpr, scope)
        elif _constlike(expr.lexpr) and _has_column(expr.rexpr):
            self._unoptimizable(expr, expr.rexpr, scope)

    def _unoptimizable(self, expr: Any, side: Any, scope: _Scope) -> None:
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


# -- small helpers --------------------------------------------------------------------------------

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


def _param_of(expr: Any) -> int | None:
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


def _descending(sortby: Any) -> bool:
    from pglast import enums

    return sortby.sortby_dir == enums.SortByDir.SORTBY_DESC
