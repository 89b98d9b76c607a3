"""The top digests parsed (sqlglot, MySQL dialect) for the design checks: join pairs, JSON filters, the
columns each statement reads and whether it selects ``*``.

The advisor's parser (:mod:`dbxray.engines.mysql.advisor.parse`) places predicates for index advice; this
walk reuses its scopes and name resolution and keeps what the schema-design checks need. Digest texts
hide literals as ``?``: a JSON path comes from the statement samples (``statement_samples``) when
performance_schema kept one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbxray.checks.helpers import memo, records

Column = tuple[str, str, str]  # schema, table, column
JSON_FUNCS = ("JSON_EXTRACT", "JSON_VALUE", "JSON_QUERY", "JSON_UNQUOTE")
JSON_PREDICATES = ("JSON_CONTAINS", "JSON_CONTAINS_PATH", "JSON_OVERLAPS", "JSON_SEARCH", "JSON_EXISTS")


@dataclass
class JsonFilter:
    schema: str
    table: str
    column: str
    kind: str  # path (a value at a path compared) | contains (JSON_CONTAINS / _PATH / OVERLAPS / MEMBER OF / SEARCH)
    function: str  # JSON_VALUE, JSON_EXTRACT, ->>, JSON_CONTAINS, ...
    path: str | None = None  # '$.color' when the text holds it
    compare: str | None = None
    text: str = ""
    slot: int | None = None  # which of the statement's JSON path arguments (in text order) is this one's
    path_node: Any = field(default=None, repr=False, compare=False)

    @property
    def ident(self) -> tuple:
        return (self.schema, self.table, self.column, self.kind, self.function, self.compare)


@dataclass
class WorkDigest:
    queryid: str
    query: str
    schema: str | None
    calls: float
    total_ms: float
    share_pct: float
    rows: float
    rows_examined: float
    mean_ms: float
    kind: str = ""
    tables: set[tuple[str, str]] = field(default_factory=set)
    pairs: list[tuple[Column, Column]] = field(default_factory=list)
    json: list[JsonFilter] = field(default_factory=list)
    star: set[tuple[str, str]] = field(default_factory=set)
    used: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    filters: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    group_or_agg: bool = False
    params: bool = False
    slots: int = 0  # JSON path arguments in the statement, in text order
    error: str | None = None

    @property
    def rows_per_call(self) -> float:
        return self.rows / self.calls if self.calls else 0.0


def analyze(text: str, columns: dict, default_schema: str, digest: bool = True) -> WorkDigest | None:
    """Parse one statement into the parts the design checks read (or None when it cannot be parsed)."""
    from sqlglot import exp

    from dbxray.engines.mysql.advisor.parse import _scopes, parse_one

    parsed = parse_one(text, digest)
    if parsed is None:
        return None
    tree, kind = parsed
    out = WorkDigest("", text, default_schema, 0, 0, 0, 0, 0, 0, kind=kind)
    out.params = tree.find(exp.Placeholder) is not None
    out.group_or_agg = tree.find(exp.Group, exp.AggFunc) is not None
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    for scope in _scopes(tree):
        _scope(scope, columns, default_schema, ctes, out)
    slots = {id(n): i for i, n in enumerate(_path_slots(tree))}
    out.slots = len(slots)
    for j in out.json:
        if j.path_node is not None:
            j.slot = slots.get(id(j.path_node))
            j.path_node = None
    if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Schema | exp.Table):
        table = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        key = _key(columns, table, default_schema)
        if key:
            out.tables.add(key)
    return out


def _key(columns: dict, table: Any, default_schema: str) -> tuple[str, str] | None:
    from dbxray.engines.mysql.advisor.parse import _real_table

    if not getattr(table, "name", None):
        return None
    schema = table.args.get("db").name if table.args.get("db") else default_schema
    return _real_table(columns, schema, table.name)


def _resolver(node: Any, columns: dict, default_schema: str, ctes: set[str]):
    """The scope's tables and a resolver from its columns to (schema, table, column): the index
    advisor's own resolution, so both read a statement the same way."""
    from dbxray.engines.mysql.advisor.parse import column_resolver, scope_tables

    in_scope, alias_map = scope_tables(node, columns, default_schema, ctes)
    by_key = column_resolver(columns, in_scope, alias_map)

    def resolve(col: Any) -> Column | None:
        hit = by_key(col)
        return (hit[0][0], hit[0][1], hit[1]) if hit else None

    return resolve, in_scope, alias_map


def _scope(node: Any, columns: dict, default_schema: str, ctes: set[str], out: WorkDigest) -> None:
    from sqlglot import exp

    from dbxray.engines.mysql.advisor.parse import _conjuncts

    resolve, in_scope, alias_map = _resolver(node, columns, default_schema, ctes)
    out.tables.update(in_scope)
    if not in_scope:
        return
    if isinstance(node, exp.Select):
        for e in node.expressions:
            if isinstance(e, exp.Star):
                out.star.update(in_scope)
            elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
                key = alias_map.get(e.table.lower()) if e.table else None
                if key:
                    out.star.add(key)
    for col in node.find_all(exp.Column):
        if col.find_ancestor(exp.Select, exp.Update, exp.Delete) is not node or isinstance(col.this, exp.Star):
            continue
        hit = resolve(col)
        if hit:
            out.used.setdefault(hit[:2], set()).add(hit[2])
    conds = []
    where = node.args.get("where")
    if where is not None:
        conds.extend(_conjuncts(where.this))
    for join in node.args.get("joins") or []:
        if join.args.get("on") is not None:
            conds.extend(_conjuncts(join.args["on"]))
    for cond in conds:
        _condition(cond, resolve, columns, default_schema, ctes, out)


def _condition(cond: Any, resolve, columns: dict, default_schema: str, ctes: set[str], out: WorkDigest) -> None:
    from sqlglot import exp

    while isinstance(cond, exp.Paren):
        cond = cond.this
    if isinstance(cond, exp.EQ | exp.NullSafeEQ):
        left, right = cond.this, cond.expression
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            a, b = resolve(left), resolve(right)
            if a and b and a[:2] != b[:2]:
                out.pairs.append((a, b))
            return
    if isinstance(cond, exp.In) and isinstance(cond.this, exp.Column) and cond.args.get("query") is not None:
        inner = cond.args["query"].this if isinstance(cond.args["query"], exp.Subquery) else cond.args["query"]
        a = resolve(cond.this)
        if a and isinstance(inner, exp.Select) and len(inner.expressions) == 1 and \
                isinstance(inner.expressions[0], exp.Column):
            inner_resolve, _s, _m = _resolver(inner, columns, default_schema, ctes)
            b = inner_resolve(inner.expressions[0])
            if b and a[:2] != b[:2]:
                out.pairs.append((a, b))
        return
    for col, _other in _filter_sides(cond):
        hit = resolve(col)
        if hit:
            out.filters.setdefault(hit[:2], [])
            if hit[2] not in out.filters[hit[:2]]:
                out.filters[hit[:2]].append(hit[2])
    _json(cond, resolve, out)


def _filter_sides(cond: Any) -> list[tuple[Any, Any]]:
    from sqlglot import exp

    out = []
    if isinstance(cond, exp.EQ | exp.GT | exp.GTE | exp.LT | exp.LTE | exp.NullSafeEQ):
        for col, other in ((cond.this, cond.expression), (cond.expression, cond.this)):
            if isinstance(col, exp.Column) and other is not None and other.find(exp.Column) is None:
                out.append((col, other))
    elif isinstance(cond, exp.In | exp.Between | exp.Like) and isinstance(cond.this, exp.Column):
        out.append((cond.this, None))
    return out


def _path_text(node: Any) -> str | None:
    from sqlglot import exp

    if node is None or isinstance(node, exp.Placeholder):
        return None
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    if isinstance(node, exp.JSONPath):
        text = node.sql(dialect="mysql").strip("'")
        return text or None
    return None


def _json_access(node: Any) -> tuple[Any, str, str | None, Any] | None:
    """(column node, function, path, path node) when ``node`` reads a value at a path of a JSON column."""
    from sqlglot import exp

    while isinstance(node, exp.Cast | exp.Paren):
        node = node.this
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "JSON_UNQUOTE" and node.expressions:
        inner = _json_access(node.expressions[0])
        return (inner[0], "JSON_UNQUOTE(JSON_EXTRACT)", inner[2], inner[3]) if inner else None
    if isinstance(node, exp.JSONValue) and isinstance(node.this, exp.Column):
        return node.this, "JSON_VALUE", _path_text(node.args.get("path")), node.args.get("path")
    if isinstance(node, exp.JSONExtractScalar) and isinstance(node.this, exp.Column):
        return node.this, "->>", _path_text(node.expression), node.expression
    if isinstance(node, exp.JSONExtract) and isinstance(node.this, exp.Column):
        return node.this, "JSON_EXTRACT", _path_text(node.expression), node.expression
    if isinstance(node, exp.Anonymous) and str(node.this).upper() in ("JSON_EXTRACT", "JSON_VALUE", "JSON_QUERY") \
            and node.expressions and isinstance(node.expressions[0], exp.Column):
        arg = node.expressions[1] if len(node.expressions) > 1 else None
        return node.expressions[0], str(node.this).upper(), _path_text(arg), arg
    return None


# path arguments of the JSON functions: (first argument, step) — JSON_SET(doc, path, value, path, value…)
_PATH_ARGS = {"JSON_EXTRACT": (1, 1), "JSON_QUERY": (1, 1), "JSON_VALUE": (1, 1), "JSON_EXISTS": (1, 1),
              "JSON_CONTAINS": (2, 1), "JSON_CONTAINS_PATH": (2, 1), "JSON_REMOVE": (1, 1), "JSON_KEYS": (1, 1),
              "JSON_LENGTH": (1, 1), "JSON_SEARCH": (4, 1), "JSON_SET": (1, 2), "JSON_INSERT": (1, 2),
              "JSON_REPLACE": (1, 2), "JSON_ARRAY_APPEND": (1, 2), "JSON_ARRAY_INSERT": (1, 2)}


def _path_slots(tree: Any) -> list[Any]:
    """Every JSON path argument of the statement, in text order: the n-th is the n-th '$…' literal of a
    sample of the same statement."""
    from sqlglot import exp

    out = []
    for node in tree.walk(bfs=False):
        if isinstance(node, exp.JSONValue) and node.args.get("path") is not None:
            out.append(node.args["path"])
        elif isinstance(node, exp.JSONExtract | exp.JSONExtractScalar) and node.expression is not None:
            out.append(node.expression)
        elif isinstance(node, exp.Anonymous) and str(node.this).upper() in _PATH_ARGS:
            start, step = _PATH_ARGS[str(node.this).upper()]
            out.extend(node.expressions[start::step])
    return out


def _json(cond: Any, resolve, out: WorkDigest) -> None:
    from sqlglot import exp

    ops = {exp.EQ: "=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=", exp.NullSafeEQ: "<=>"}
    for cls, op in ops.items():
        if isinstance(cond, cls):
            for side, other in ((cond.this, cond.expression), (cond.expression, cond.this)):
                acc = _json_access(side)
                if acc and (other is None or other.find(exp.Column) is None):
                    hit = resolve(acc[0])
                    if hit:
                        out.json.append(JsonFilter(hit[0], hit[1], hit[2], "path", acc[1], acc[2], op,
                                                   cond.sql(dialect="mysql"), path_node=acc[3]))
                    return
            break
    if isinstance(cond, exp.In):
        acc = _json_access(cond.this)
        if acc:
            hit = resolve(acc[0])
            if hit:
                out.json.append(JsonFilter(hit[0], hit[1], hit[2], "path", acc[1], acc[2], "IN",
                                           cond.sql(dialect="mysql"), path_node=acc[3]))
        return
    _json_predicate(cond, resolve, out)


def _json_predicate(cond: Any, resolve, out: WorkDigest) -> None:
    """``JSON_CONTAINS(col, ?[, path])`` and its kin, alone or compared with 1 / TRUE."""
    from sqlglot import exp

    if isinstance(cond, exp.EQ) and isinstance(cond.this, exp.Anonymous):
        cond = cond.this
    if not (isinstance(cond, exp.Anonymous) and str(cond.this).upper() in JSON_PREDICATES):
        return
    func, args = str(cond.this).upper(), cond.expressions
    if args and isinstance(args[0], exp.Column):
        hit = resolve(args[0])
        if hit:
            node = args[2] if func == "JSON_CONTAINS" and len(args) > 2 else None
            out.json.append(JsonFilter(hit[0], hit[1], hit[2], "contains", func, _path_text(node), None,
                                       cond.sql(dialect="mysql"), path_node=node))


# -- the workload of a snapshot ---------------------------------------------------------------------------

def samples(snap: Any) -> dict[str, list[str]]:
    """digest -> the JSON path literals of a recent run of it, in text order (``statement_samples``)."""
    import re

    frame = snap["statement_samples"]
    return memo(frame, "mysql_design_samples", lambda: {
        str(r["queryid"]): re.findall(r"'(\$[^']*)'", str(r.get("json_paths") or "")) for r in records(frame)})


def workload(snap: Any, max_statements: int = 200) -> list[WorkDigest]:
    """The heaviest digests (by total time), each parsed once per snapshot."""
    from dbxray.engines.mysql.advisor.catalog import columns_by_table
    from dbxray.engines.mysql.checks.helpers import statements
    from dbxray.report import summary as summ

    frame, _source = statements(snap)

    def build() -> list[WorkDigest]:
        df = summ.statements(frame)
        if df is None or df.empty or "query" not in df:
            return []
        cols = columns_by_table(snap)
        out = []
        for r in records(df.head(max_statements)):
            q = r.get("query")
            if not q:
                continue
            schema = r.get("schema") or snap.database or ""
            wd = analyze(str(q), cols, schema) or WorkDigest("", str(q), schema, 0, 0, 0, 0, 0, 0, error="unparsed")
            wd.queryid, wd.schema = str(r["queryid"]), schema
            wd.calls, wd.total_ms = float(r.get("calls") or 0), float(r.get("total_ms") or 0)
            wd.share_pct, wd.rows = float(r.get("share_pct") or 0), float(r.get("rows") or 0)
            wd.rows_examined, wd.mean_ms = float(r.get("rows_examined") or 0), float(r.get("mean_ms") or 0)
            out.append(wd)
        return out

    return memo(frame, f"mysql_design_workload_{max_statements}", build)


def fill_json_paths(snap: Any, wd: WorkDigest) -> None:
    """JSON filters whose path the digest hid as ``?``: the n-th path literal of a sample of the same
    digest fills the n-th path argument (only when the sample has exactly as many)."""
    missing = [j for j in wd.json if j.path is None and j.slot is not None]
    paths = samples(snap).get(wd.queryid) if missing else None
    if not paths or len(paths) != wd.slots:
        return
    for j in missing:
        j.path = paths[j.slot]

def top(snap: Any, n: Any) -> list:
    """The ``n`` heaviest statements, parsed once per snapshot whatever ``n`` each check asks for."""
    n = int(n)
    return workload(snap, max(200, n))[:n]


__all__ = ["JsonFilter", "WorkDigest", "analyze", "fill_json_paths", "samples", "top", "workload"]
