"""The top statements parsed against the snapshot's catalog, offline (no session needed).

The index advisor's analyzer (:mod:`dbxray.engines.postgres.advisor.parse`) places every predicate on the
table it filters; this subclass also keeps what the design checks need from the same walk:

- join pairs ``a.x = b.y`` (and ``a.x IN (SELECT b.y …)``), to find joins on a primary key without a
  foreign key, and joins between columns of different types;
- JSON filters: ``col ->> 'k' = $1`` (and ``->``, ``#>>``, ``#>``, with a cast), ``col @> $1``,
  ``col ? $1``, ``?|``, ``?&``, ``@?``, ``@@``, with the key when the text holds it.

Tables and columns come from the ``column_types`` collector; unqualified names follow the server's
``search_path`` (``$user`` is the collecting role).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbxray.checks.helpers import memo, records
from dbxray.engines.postgres.advisor.conditions import _constlike
from dbxray.engines.postgres.advisor.conditions import param_of as _param_of
from dbxray.engines.postgres.advisor.statement import ParsedStatement, Relation
from dbxray.engines.postgres.advisor.walk import Analyzer as _Analyzer

JSON_OPERATORS = {"@>": "containment", "?": "exists", "?|": "exists", "?&": "exists", "@?": "jsonpath",
                  "@@": "jsonpath"}
PATH_OPERATORS = ("->>", "->", "#>>", "#>")
COMPARISONS = ("=", "<", ">", "<=", ">=")

Column = tuple[str, str, str]  # schema, table, column


@dataclass
class JsonFilter:
    """One condition on a JSON column that a plain index on the column cannot serve."""

    schema: str
    table: str
    column: str
    kind: str  # path (col ->> key compared with a value) | containment | exists | jsonpath
    op: str  # the operator: ->> (path), @>, ?, ?|, ?&, @?, @@
    key: str | None = None  # the key or path literal of a path filter, when the text holds it
    key_param: int | None = None  # the $n that stands for the key in normalized text
    cast: str | None = None  # the type a path filter casts to: (col ->> 'n')::int > $1
    compare: str | None = None  # =, <, >=, ...
    text: str = ""

    @property
    def ident(self) -> tuple:
        return (self.schema, self.table, self.column, self.kind, self.op, self.cast, self.compare)


@dataclass
class WorkStatement:
    queryid: str
    query: str
    calls: float
    total_ms: float
    share_pct: float
    rows: float
    mean_ms: float
    kind: str = ""
    parsed: ParsedStatement | None = None
    pairs: list[tuple[Column, Column]] = field(default_factory=list)
    json: list[JsonFilter] = field(default_factory=list)
    error: str | None = None

    @property
    def rows_per_call(self) -> float:
        return self.rows / self.calls if self.calls else 0.0


class _DesignAnalyzer(_Analyzer):
    """The advisor's walk, keeping join pairs and JSON filters on the way."""

    def __init__(self, resolve: Any, root: Any):
        super().__init__(resolve, root)
        self.pairs: list[tuple[Column, Column]] = []
        self.json: list[JsonFilter] = []

    def _comparison(self, expr: Any, op: str, scope: Any) -> None:
        from pglast import ast

        if not (isinstance(expr.lexpr, ast.RowExpr) and isinstance(expr.rexpr, ast.RowExpr)):
            left, right = self.column(expr.lexpr, scope), self.column(expr.rexpr, scope)
            if op == "=" and left and right and left[0] is not right[0]:
                self.pairs.append(((left[0].schema, left[0].table, left[1]), (right[0].schema, right[0].table,
                                                                             right[1])))
            for side, other, flipped in ((expr.lexpr, expr.rexpr, False), (expr.rexpr, expr.lexpr, True)):
                if _constlike(other):
                    self._json_path(side, op if not flipped else _FLIP.get(op, op), scope, expr)
        super()._comparison(expr, op, scope)

    def _json_path(self, side: Any, compare: str, scope: Any, whole: Any) -> None:
        from pglast import ast

        cast = None
        if isinstance(side, ast.TypeCast):
            cast = ".".join(n.sval for n in side.typeName.names if n.sval != "pg_catalog")
            side = side.arg
        if not (isinstance(side, ast.A_Expr) and side.name and side.name[-1].sval in PATH_OPERATORS):
            return
        col = self.column(side.lexpr, scope)
        if not col:
            return
        key = _string(side.rexpr)
        self.json.append(JsonFilter(col[0].schema, col[0].table, col[1], "path", side.name[-1].sval, key=key,
                                    key_param=_param_of(side.rexpr), cast=cast, compare=compare,
                                    text=_deparse(whole)))

    def _a_expr(self, expr: Any, scope: Any) -> None:
        from pglast import enums

        op = expr.name[-1].sval if expr.name else ""
        if expr.kind == enums.A_Expr_Kind.AEXPR_OP and op in JSON_OPERATORS:
            col = self.column(expr.lexpr, scope)
            if col and _constlike(expr.rexpr):
                self.json.append(JsonFilter(col[0].schema, col[0].table, col[1], JSON_OPERATORS[op], op,
                                            key=_string(expr.rexpr), key_param=_param_of(expr.rexpr),
                                            text=_deparse(expr)))
        super()._a_expr(expr, scope)

    def _in_subquery(self, expr: Any, scope: Any) -> tuple[Any, Any] | None:
        pair = super()._in_subquery(expr, scope)  # the semi-join's columns, recorded as the advisor does
        if pair is None:
            return None
        left, right = pair
        if left and right and left[0] is not right[0]:
            self.pairs.append(((left[0].schema, left[0].table, left[1]), (right[0].schema, right[0].table, right[1])))
        return pair


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "="}


def _string(expr: Any) -> str | None:
    from pglast import ast

    while isinstance(expr, ast.TypeCast):
        expr = expr.arg
    if isinstance(expr, ast.A_Const) and isinstance(expr.val, ast.String):
        return expr.val.sval
    return None


def _deparse(node: Any) -> str:
    from pglast.stream import RawStream

    try:
        return RawStream()(node)
    except Exception:
        return ""


# -- the catalog of the snapshot ---------------------------------------------------------------------------

def columns_by_table(snap: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """{(schema, table): [column rows in order]} from the ``column_types`` collector."""
    frame = snap["column_types"]

    def build() -> dict[tuple[str, str], list[dict[str, Any]]]:
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in records(frame):
            out.setdefault((r["schema"], r["table"]), []).append(r)
        return out

    return memo(frame, "design_columns_by_table", build)


def column_info(snap: Any, schema: str, table: str, column: str) -> dict[str, Any] | None:
    return next((c for c in columns_by_table(snap).get((schema, table), ()) if c["column"] == column), None)


def primary_key(snap: Any, schema: str, table: str) -> list[str]:
    """The primary key's columns (in table order), from ``column_types``."""
    return [c["column"] for c in columns_by_table(snap).get((schema, table), ()) if c.get("in_primary_key")]


def search_path(snap: Any) -> list[str]:
    raw = str(snap.setting("search_path", '"$user", public') or "")
    role = None
    server = snap["server"]
    if not server.empty:
        for key in ("current_user", "role", "user", "usename"):
            if key in server:
                role = server.iloc[0][key]
                break
    out = []
    for part in raw.split(","):
        name = part.strip().strip('"')
        if name == "$user":
            if role:
                out.append(str(role))
            continue
        if name:
            out.append(name)
    return [*out, "pg_catalog"]


def resolver(snap: Any) -> Any:
    """``resolve(schema, name) -> Relation | None`` over the snapshot's tables."""
    tables = columns_by_table(snap)
    by_name: dict[str, list[tuple[str, str]]] = {}
    for key in tables:
        by_name.setdefault(key[1], []).append(key)
    path = search_path(snap)

    def resolve(schema: str | None, name: str) -> Relation | None:
        if schema:
            key = (schema, name)
            found = key if key in tables else None
        else:
            found = next(((s, name) for s in path if (s, name) in tables), None)
            if found is None and len(by_name.get(name, ())) == 1:
                found = by_name[name][0]
        if found is None:
            return None
        return Relation(found[0], found[1], tuple(c["column"] for c in tables[found]))

    return resolve


def samples(snap: Any) -> dict[str, list[str]]:
    """query id -> the JSON keys after each path operator of a session's last run of it, in text order: the
    quoted key, or ``$n`` when the application binds the key too (``statement_samples``, PostgreSQL 14+)."""
    from dbxray.checks.helpers import as_list

    frame = snap["statement_samples"]
    return memo(frame, "design_samples", lambda: {str(r["queryid"]): [str(k) for k in as_list(r.get("json_keys"))]
                                                  for r in records(frame)})


def _path_arrows(node: Any) -> list[Any]:
    """The right-hand sides of the path operators (->>, ->, #>>, #>) of a statement, in text order."""
    from pglast import ast

    from dbxray.engines.postgres.guard import walk_ast

    arrows = [n for n in walk_ast(node) if isinstance(n, ast.A_Expr) and n.name
              and getattr(n.name[-1], "sval", None) in PATH_OPERATORS]
    return [n.rexpr for n in sorted(arrows, key=lambda n: n.location if n.location is not None else -1)]


def parse_one(text: str, resolve: Any) -> tuple[Any, _DesignAnalyzer | None, str | None]:
    """(raw node, the analyzer after its walk, error) for one statement."""
    from dbxray.engines.postgres.advisor.parse import parse

    try:
        node = parse(text)
    except ValueError as exc:
        return None, None, str(exc)
    az = _DesignAnalyzer(resolve, node)
    out = ParsedStatement(text=text, kind=type(node).__name__)
    try:
        az.statement(node, None, out)
    except Exception as exc:  # a construct the walk does not know: the statement is left out, not the check
        return node, None, f"{exc.__class__.__name__}: {exc}"
    out.accesses = az.accesses
    out.param_roles = az.param_roles
    az.parsed = out  # type: ignore[attr-defined]
    return node, az, None


def workload(snap: Any, max_statements: int = 200) -> list[WorkStatement]:
    """The heaviest statements (by total time), each parsed once per snapshot; ``share_pct`` is of all
    statement time, as in the report's summary."""
    from dbxray.report import summary as summ

    frame = snap["statements"]

    def build() -> list[WorkStatement]:
        df = summ.statements(frame)
        if df is None or df.empty or "query" not in df:
            return []
        resolve = resolver(snap)
        out = []
        for r in records(df.head(max_statements)):
            q = r.get("query")
            if not q or q == "<insufficient privilege>":
                continue
            ws = WorkStatement(str(r["queryid"]), str(q), float(r.get("calls") or 0), float(r.get("total_ms") or 0),
                               float(r.get("share_pct") or 0), float(r.get("rows") or 0), float(r.get("mean_ms") or 0))
            _node, az, err = parse_one(ws.query, resolve)
            if az is None:
                ws.error = err
            else:
                ws.parsed = az.parsed  # type: ignore[attr-defined]
                ws.kind = ws.parsed.kind
                ws.pairs = az.pairs
                ws.json = az.json
            out.append(ws)
        return out

    return memo(frame, f"design_workload_{max_statements}", build)


def fill_json_keys(snap: Any, ws: WorkStatement) -> None:
    """Path filters whose key is a ``$n`` in the normalized text: the n-th key a session's run of the same
    query id had after a path operator fills the n-th path operator (only when both have as many)."""
    from dbxray.engines.postgres.advisor.parse import parse

    missing = [j for j in ws.json if j.kind == "path" and j.key is None and j.key_param is not None]
    keys = samples(snap).get(ws.queryid) if missing else None
    if not keys:
        return
    try:
        arrows = _path_arrows(parse(ws.query))
    except ValueError:
        return
    if len(arrows) != len(keys):
        return
    known: dict[int, str] = {}
    for rhs, key in zip(arrows, keys):
        number = _param_of(rhs)
        if number is not None and key.startswith("'") and key.endswith("'") and len(key) >= 2:
            known[number] = key[1:-1].replace("''", "'")
    for j in missing:
        if j.key_param in known:
            j.key = known[j.key_param]

def top(snap: Any, n: Any) -> list:
    """The ``n`` heaviest statements, parsed once per snapshot whatever ``n`` each check asks for."""
    n = int(n)
    return workload(snap, max(200, n))[:n]


__all__ = [
    "JsonFilter",
    "WorkStatement",
    "column_info",
    "columns_by_table",
    "fill_json_keys",
    "primary_key",
    "resolver",
    "samples",
    "top",
    "workload",
]
