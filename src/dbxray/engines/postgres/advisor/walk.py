"""The parser's walk: statements, CTEs, FROM items and output columns, placing every column a
statement reads on the table occurrence it comes from (conditions are classified in ``conditions``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from dbxray.engines.postgres.advisor.conditions import Conditions, descending, param_of
from dbxray.engines.postgres.advisor.scopes import Cte, Item, Scope
from dbxray.engines.postgres.advisor.statement import ColumnUse, ParsedStatement, Resolver, TableAccess
from dbxray.engines.postgres.guard import walk_ast


class Analyzer(Conditions):
    def __init__(self, resolve: Resolver, root: Any):
        from pglast import ast

        self.resolve = resolve
        self.accesses: list[TableAccess] = []
        self.param_roles: dict[int, str] = {}
        # a CTE referenced more than once is materialized: predicates outside cannot reach its tables
        self.cte_refs = Counter(n.relname for n in walk_ast(root) if isinstance(n, ast.RangeVar) and not n.schemaname)

    # statements
    def statement(self, node: Any, parent: Scope | None, out: ParsedStatement | None = None) -> list:
        kind = type(node).__name__
        if kind == "SelectStmt":
            return self.select(node, parent)
        scope = Scope(parent)
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

    def with_clause(self, with_clause: Any, scope: Scope) -> None:
        from pglast import enums

        for cte in with_clause.ctes or ():
            name = cte.ctename
            if with_clause.recursive:
                scope.ctes[name] = Cte([], {})  # self-references see an opaque relation
            outputs = self.statement(cte.ctequery, scope)
            names = [c.sval for c in cte.aliascolnames] if cte.aliascolnames else [o[0] for o in outputs]
            opaque = (with_clause.recursive or cte.ctematerialized == enums.CTEMaterialize.CTEMaterializeAlways
                      or self.cte_refs[name] > 1 or type(cte.ctequery).__name__ != "SelectStmt")
            passthrough = {} if opaque else {n: o[1] for n, o in zip(names, outputs) if o[1] is not None}
            scope.ctes[name] = Cte(names, passthrough)

    def select(self, node: Any, parent: Scope | None) -> list[tuple[str, tuple[TableAccess, str] | None]]:
        """Analyse one SELECT; return its output columns and the base column each one passes through."""
        from pglast import enums

        if node.op != enums.SetOperation.SETOP_NONE:
            scope = Scope(parent)
            if node.withClause:
                self.with_clause(node.withClause, scope)
            left = self.select(node.larg, scope)
            self.select(node.rarg, scope)
            return [(name, None) for name, _ in left]  # a union's output is not one table's column
        scope = Scope(parent)
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
            number = param_of(expr)
            if number:
                self.param_roles[number] = role
        opaque = bool(node.limitCount or node.limitOffset or node.distinctClause or node.windowClause)
        return [(name, None if opaque else base) for name, base in outputs]

    def targets(self, targets: Any, scope: Scope) -> list[tuple[str, tuple[TableAccess, str] | None]]:
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

    def star(self, ref: Any, scope: Scope) -> list[tuple[str, tuple[TableAccess, str] | None]]:
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

    def order_and_group(self, node: Any, scope: Scope) -> None:
        targets = list(node.targetList or ())
        sort = [(self._sort_key(s.node, targets, scope), descending(s)) for s in node.sortClause or ()]
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

    def _sort_key(self, expr: Any, targets: list, scope: Scope) -> tuple[TableAccess, str] | None:
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

    def from_item(self, node: Any, scope: Scope, quals: list[Any]) -> None:
        from pglast import ast

        if isinstance(node, ast.RangeVar):
            alias = node.alias.aliasname if node.alias else node.relname
            cte = None if node.schemaname else scope.cte(node.relname)
            if cte is not None:
                scope.items.append(Item(alias, set(cte.columns), passthrough=cte.passthrough, relname=node.relname))
                return
            rel = self.resolve(node.schemaname, node.relname)
            if rel is None:
                scope.items.append(Item(alias, None, relname=node.relname))
                return
            access = TableAccess(rel.schema, rel.name, alias)
            self.accesses.append(access)
            scope.items.append(Item(alias, set(rel.columns), access=access, relname=rel.name))
        elif isinstance(node, ast.RangeSubselect):
            outputs = self.select(node.subquery, scope)
            names = [o[0] for o in outputs]
            if node.alias and node.alias.colnames:
                names = [c.sval for c in node.alias.colnames] + names[len(node.alias.colnames):]
            passthrough = {n: o[1] for n, o in zip(names, outputs) if o[1] is not None}
            alias = node.alias.aliasname if node.alias else ""
            scope.items.append(Item(alias, set(names), passthrough=passthrough))
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
            scope.items.append(Item(alias, None))

    @staticmethod
    def _using_side(items: list[Item], col: str) -> tuple[TableAccess, str] | None:
        for item in items:
            if item.columns and col in item.columns:
                return (item.access, col) if item.access else item.passthrough.get(col)
        return None

    # expressions
    def column(self, expr: Any, scope: Scope) -> tuple[TableAccess, str] | None:
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

    def walk(self, expr: Any, scope: Scope) -> None:
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
