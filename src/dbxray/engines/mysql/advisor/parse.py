"""Statements into per-table predicates (sqlglot's MySQL dialect), as the advisor reads them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Access:
    """What one statement asks of one table."""

    schema: str
    table: str
    eq: list[str] = field(default_factory=list)
    join: list[str] = field(default_factory=list)  # column = other_table.column
    ranges: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)
    limit: bool = False
    unusable: list[str] = field(default_factory=list)

    def add(self, bucket: list[str], column: str) -> None:
        if column not in bucket:
            bucket.append(column)


@dataclass
class ParsedStatement:
    kind: str  # select | update | delete
    accesses: dict[tuple[str, str], Access]
    tree: Any = None


def normalize_digest(text: str) -> str | None:
    """Digest text -> something sqlglot parses; None when it was truncated by the server."""
    text = " ".join(str(text or "").split())
    if not text or (text.endswith("...") and not text.endswith("(...)")):
        return None  # performance_schema_max_digest_length cut it: never guess the rest
    text = re.sub(r"\(\s*\.\.\.\s*\)", "(?)", text)  # IN (...) -> IN (?)
    text = re.sub(r"\(_charset\)\s*", "", text)
    text = re.sub(r"\bSQL_TSI_(\w+)", r"\1", text)
    return text


def parse_one(text: str, digest: bool = True) -> tuple[Any, str] | None:
    """(sqlglot tree, kind) of one statement (a digest's text normalized first): kind is select, update,
    delete or insert; None when it is not exactly one statement of those kinds or does not parse."""
    import sqlglot
    from sqlglot import exp

    sql = normalize_digest(text) if digest else (text or "").strip().rstrip(";")
    if not sql:
        return None
    try:
        trees = [t for t in sqlglot.parse(sql, read="mysql") if t is not None]
    except Exception:
        return None
    if len(trees) != 1:
        return None
    tree = trees[0]
    kind = ("select" if isinstance(tree, exp.Select | exp.Union) else "update" if isinstance(tree, exp.Update)
            else "delete" if isinstance(tree, exp.Delete) else "insert" if isinstance(tree, exp.Insert) else "")
    return (tree, kind) if kind else None


def parse_statement(text: str, columns: dict[tuple[str, str], dict[str, dict]], default_schema: str,
                    digest: bool = True) -> ParsedStatement | None:
    """Per-table predicates of one statement, resolved against the real columns (case-insensitive)."""
    from sqlglot import exp

    parsed = parse_one(text, digest)
    if parsed is None or parsed[1] == "insert":  # an INSERT has no predicates to index for
        return None
    tree, kind = parsed
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    accesses: dict[tuple[str, str], Access] = {}
    for scope_node in _scopes(tree):
        _parse_scope(scope_node, columns, default_schema, ctes, accesses)
    return ParsedStatement(kind, accesses, tree)


def _scopes(tree: Any) -> list[Any]:
    """Every SELECT / UPDATE / DELETE node: each has its own FROM and WHERE."""
    from sqlglot import exp

    return [n for n in tree.walk() if isinstance(n, exp.Select | exp.Update | exp.Delete)]


def _tables_of(node: Any) -> list[Any]:
    """The tables directly in this scope's FROM / JOIN / UPDATE / DELETE target (not in subqueries)."""
    from sqlglot import exp

    found = []
    candidates = []
    frm = node.args.get("from_") or node.args.get("from")
    if frm is not None:
        candidates.append(frm.this)
        candidates.extend(frm.expressions or [])
    for join in node.args.get("joins") or []:
        candidates.append(join.this)
    if isinstance(node, exp.Update | exp.Delete) and isinstance(node.this, exp.Table):
        candidates.append(node.this)
    for cand in candidates:
        if isinstance(cand, exp.Table):
            found.append(cand)
    return found


def scope_tables(node: Any, columns: dict, default_schema: str,
                 ctes: set[str]) -> tuple[list[tuple[str, str]], dict[str, tuple[str, str]]]:
    """The real tables of one scope, as (schema, table) keys, and every name that refers to one in
    it (its alias, and its own name unless that is taken): CTEs and unknown tables left out."""
    alias_map: dict[str, tuple[str, str]] = {}
    in_scope: list[tuple[str, str]] = []
    for table in _tables_of(node):
        name = table.name
        if not name or (not table.args.get("db") and name.lower() in ctes):
            continue
        schema = table.args.get("db").name if table.args.get("db") else default_schema
        key = _real_table(columns, schema, name)
        if key is None:
            continue
        in_scope.append(key)
        alias_map[(table.alias or name).lower()] = key
        alias_map.setdefault(name.lower(), key)
    return in_scope, alias_map


def column_resolver(columns: dict, in_scope: list[tuple[str, str]], alias_map: dict[str, tuple[str, str]]):
    """A function from a sqlglot column of the scope to ((schema, table), the catalog's column name), or
    None when it names no real column or an unqualified name is ambiguous between the scope's tables."""

    def resolve(col: Any) -> tuple[tuple[str, str], str] | None:
        qualifier = col.table.lower() if col.table else None
        name = col.name.lower()
        if qualifier:
            key = alias_map.get(qualifier)
            if key is None:
                return None
            real = columns.get(key, {}).get(name)
            return (key, real["column"]) if real else None
        owners = [k for k in in_scope if name in columns.get(k, {})]
        if len(set(owners)) != 1:
            return None
        return owners[0], columns[owners[0]][name]["column"]

    return resolve


def _parse_scope(node: Any, columns: dict, default_schema: str, ctes: set[str],
                 accesses: dict[tuple[str, str], Access]) -> None:
    from sqlglot import exp

    in_scope, alias_map = scope_tables(node, columns, default_schema, ctes)
    if not in_scope:
        return
    resolve = column_resolver(columns, in_scope, alias_map)

    def access(key: tuple[str, str]) -> Access:
        if key not in accesses:
            accesses[key] = Access(key[0], key[1])
        return accesses[key]

    where = node.args.get("where")
    conds = []
    if where is not None:
        conds.extend(_conjuncts(where.this))
    for join in node.args.get("joins") or []:
        if join.args.get("on") is not None:
            conds.extend(_conjuncts(join.args["on"]))
    for cond in conds:
        _classify(cond, resolve, access)
    order = node.args.get("order")
    if order is not None and isinstance(node, exp.Select):
        items = order.expressions
        dirs = {bool(o.args.get("desc")) for o in items}
        resolved = [resolve(o.this) if isinstance(o.this, exp.Column) else None for o in items]
        if items and len(dirs) == 1 and all(resolved) and len({r[0] for r in resolved}) == 1:
            acc = access(resolved[0][0])
            for _key, col in resolved:
                acc.add(acc.sort, col)
    if node.args.get("limit") is not None:
        for key in in_scope:
            access(key).limit = True


def _conjuncts(node: Any) -> list[Any]:
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _is_value(node: Any) -> bool:
    """A side of a comparison that does not depend on any row: literals, parameters, NOW(), ..."""
    from sqlglot import exp

    return node is not None and not isinstance(node, exp.Column) and node.find(exp.Column, exp.Subquery,
                                                                                 exp.Select) is None


def _wrapped_column(node: Any) -> Any:
    """The column inside a function or expression of a column (``LOWER(email)``, ``a + 1``)."""
    from sqlglot import exp

    if isinstance(node, exp.Column) or node is None:
        return None
    return node.find(exp.Column)


def _classify(cond: Any, resolve, access) -> None:
    from sqlglot import exp

    while isinstance(cond, exp.Paren):
        cond = cond.this
    if isinstance(cond, exp.EQ | exp.NullSafeEQ):
        left, right = cond.this, cond.expression
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            hits = [resolve(side) for side in (left, right)]
            if all(hits) and hits[0][0] != hits[1][0]:
                for hit in hits:  # a join: the probed side looks each row up by its column
                    acc = access(hit[0])
                    acc.add(acc.join, hit[1])
            return
        for col, other in ((left, right), (right, left)):
            if isinstance(col, exp.Column) and _is_value(other):
                hit = resolve(col)
                if hit:
                    acc = access(hit[0])
                    acc.add(acc.eq, hit[1])
                return
        _note_wrapped(cond, left, right, resolve, access)
        return
    if isinstance(cond, exp.In):
        col = cond.this
        if isinstance(col, exp.Column):
            hit = resolve(col)
            if hit:
                acc = access(hit[0])
                acc.add(acc.eq, hit[1])
        else:
            _note_wrapped(cond, col, None, resolve, access)
        return
    if isinstance(cond, exp.Is) and isinstance(cond.expression, exp.Null) and isinstance(cond.this, exp.Column):
        hit = resolve(cond.this)
        if hit:
            acc = access(hit[0])
            acc.add(acc.eq, hit[1])
        return
    if isinstance(cond, exp.GT | exp.GTE | exp.LT | exp.LTE):
        left, right = cond.this, cond.expression
        for col, other in ((left, right), (right, left)):
            if isinstance(col, exp.Column) and _is_value(other):
                hit = resolve(col)
                if hit:
                    acc = access(hit[0])
                    acc.add(acc.ranges, hit[1])
                return
        _note_wrapped(cond, left, right, resolve, access)
        return
    if isinstance(cond, exp.Between):
        if isinstance(cond.this, exp.Column) and _is_value(cond.args.get("low")) and _is_value(cond.args.get("high")):
            hit = resolve(cond.this)
            if hit:
                acc = access(hit[0])
                acc.add(acc.ranges, hit[1])
        else:
            _note_wrapped(cond, cond.this, None, resolve, access)
        return
    if isinstance(cond, exp.Like):
        col, pattern = cond.this, cond.expression
        if not isinstance(col, exp.Column):
            _note_wrapped(cond, col, None, resolve, access)
            return
        hit = resolve(col)
        if not hit:
            return
        acc = access(hit[0])
        if isinstance(pattern, exp.Literal) and pattern.is_string and pattern.this[:1] not in ("%", "_", ""):
            acc.add(acc.ranges, hit[1])  # LIKE 'abc%' is a range on the index
        elif isinstance(pattern, exp.Literal) and pattern.is_string:
            acc.unusable.append(f"LIKE {pattern.sql(dialect='mysql')} on {hit[1]} starts with a wildcard: "
                                "no B-tree index can serve it")
        else:
            acc.unusable.append(f"LIKE with a parameter on {hit[1]}: the pattern may start with a wildcard, "
                                "so no index is suggested from the normalized text")
        return
    if isinstance(cond, exp.Or):
        cols = {r[1] for c in cond.find_all(exp.Column) if (r := resolve(c))}
        for c in cond.find_all(exp.Column):
            hit = resolve(c)
            if hit:
                access(hit[0]).unusable.append(f"OR across {', '.join(sorted(cols))}: one composite index "
                                               "cannot serve it (consider UNION of indexed lookups)")
                break
        return


def _note_wrapped(cond: Any, left: Any, right: Any, resolve, access) -> None:
    """A function of a column compared with a value: say why no index is suggested."""
    for side in (left, right):
        col = _wrapped_column(side)
        if col is None:
            continue
        hit = resolve(col)
        if hit:
            access(hit[0]).unusable.append(
                f"{side.sql(dialect='mysql')} applies a function or expression to {hit[1]}: an index on the "
                "column cannot serve it (rewrite the predicate on the bare column, or index a generated column)")
            return


def _real_table(columns: dict, schema: str | None, name: str) -> tuple[str, str] | None:
    """The (schema, table) key as the catalog spells it (table names may be case-sensitive on disk)."""
    if schema is None:
        return None
    if (schema, name) in columns:
        return schema, name
    low = (schema.lower(), name.lower())
    for key in columns:
        if (key[0].lower(), key[1].lower()) == low:
            return key
    return None


# -- catalog --------------------------------------------------------------------------------------------
